package org.dispatchmail.dist;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.dispatchmail.dist.cassandra.CassandraStartException;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

/**
 * "dispatch run": starts the embedded Cassandra (unless dispatch.properties names a cluster) and
 * James with Dispatch deployed as an admin would: jars in extensions-jars/, files in conf/.
 *
 * <pre>
 * state/                  0700: readable by its owner only
 *   james/conf            copy of --conf, plus the generated keystore, JWT public key and Cassandra address
 *   james/extensions-jars copy of the distribution's extensions-jars
 *   james/var             James's own data (mail repositories)
 *   cassandra/            embedded Cassandra data and logs
 *   tls/keystore.p12      self-signed certificate made at first start (0600)
 *   dkim/master.key       DKIM master key made at first start when dispatch.properties names none (0600)
 *   webadmin/             key pair that signs webadmin tokens (jwt-private.pem 0600, jwt-public.pem)
 *   admin-token           the webadmin token the admin commands send (0600)
 *   logs/                 james.log, james.out
 * </pre>
 */
final class RunCommand {
    private static final Duration JAMES_START_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration STOP_GRACE = Duration.ofSeconds(60);
    /** The shipped conf/webadmin.properties' jwt.publickeypem.url: the launcher fills it unless conf/ has the file. */
    static final String SHIPPED_JWT_KEY_URL = "file://conf/jwt_publickey";

    private final Path home;
    private final Path conf;
    private final Path state;
    private final PrintStream out;
    private final Clock clock;

    RunCommand(Path home, Path conf, Path state, PrintStream out, Clock clock) {
        this.home = home.toAbsolutePath().normalize();
        this.conf = conf.toAbsolutePath().normalize();
        this.state = state.toAbsolutePath().normalize();
        this.out = out;
        this.clock = clock;
    }

    /**
     * "dispatch init": makes every secret "run" would make at first start, whatever conf/ says, and
     * exits; for a container whose James starts without this launcher (docker/compose.yaml).
     */
    static void init(Path state, PrintStream out, Clock clock) throws LaunchException {
        SecretFiles.privateDirectory(state);
        Path masterKey = state.resolve("dkim/master.key");
        DkimMasterKeyFile.ensure(masterKey);
        Path keystore = state.resolve("tls/keystore.p12");
        SelfSignedCertificate.ensure(keystore);
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clock);
        out.println("DKIM master key      " + masterKey);
        out.println("TLS keystore         " + keystore + " (self-signed)");
        out.println("webadmin public key  " + credentials.publicKeyFile());
        out.println("admin token          " + credentials.tokenFile());
    }

    /** Runs until James exits or the launcher is stopped (Ctrl-C, SIGTERM); returns the exit code. */
    int run() throws LaunchException, IOException, InterruptedException {
        checkLayout();
        SecretFiles.privateDirectory(state);
        Path dispatchProperties = conf.resolve("dispatch.properties");
        Properties settings = PropertiesFile.read(dispatchProperties);
        List<Listener> listeners = Listener.fromSmtpServerXml(conf.resolve("smtpserver.xml"));

        Path workDir = state.resolve("james");
        Path runtimeConf = workDir.resolve("conf");
        replaceWithCopy(conf, runtimeConf);
        replaceWithCopy(home.resolve("extensions-jars"), workDir.resolve("extensions-jars"));
        if (!Files.exists(conf.resolve("keystore.p12"))) {
            Path keystore = state.resolve("tls/keystore.p12");
            SelfSignedCertificate.ensure(keystore);
            Files.copy(keystore, runtimeConf.resolve("keystore.p12"), StandardCopyOption.REPLACE_EXISTING);
        }

        if (PropertiesFile.get(settings, "dkim.masterKeyFile", "").isEmpty()) {
            Path masterKey = state.resolve("dkim/master.key");
            DkimMasterKeyFile.ensure(masterKey);
            PropertiesFile.set(runtimeConf.resolve("dispatch.properties"), "dkim.masterKeyFile", masterKey.toString());
        }
        Properties webadmin = webadminProperties();
        String adminAccess = webadmin == null ? "" : webadminAuthentication(webadmin, runtimeConf);

        EmbeddedCassandra cassandra = null;
        String cassandraLine;
        if (PropertiesFile.get(settings, "cassandra.contactPoints", "").isEmpty()) {
            cassandra = startCassandra(settings, dispatchProperties);
            PropertiesFile.set(runtimeConf.resolve("dispatch.properties"), "cassandra.contactPoints", cassandra.contactPoint());
            PropertiesFile.set(runtimeConf.resolve("dispatch.properties"), "cassandra.localDatacenter",
                cassandra.localDatacenter());
            cassandraLine = "embedded, " + cassandra.contactPoint() + " (pid " + cassandra.pid() + "), data in "
                + state.resolve("cassandra") + ", log " + cassandra.logFile();
        } else {
            cassandraLine = "cluster at " + settings.getProperty("cassandra.contactPoints").trim() + " (not started here)";
        }

        Path logs = state.resolve("logs");
        JamesProcess james;
        try {
            james = JamesProcess.start(home.resolve("james/lib"), workDir, logs, javaOpts());
        } catch (LaunchException e) {
            stopCassandra(cassandra);
            throw e;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        EmbeddedCassandra startedCassandra = cassandra;
        Thread shutdown = new Thread(() -> {
            stopping.set(true);
            out.println("Stopping James (pid " + james.pid() + ") ...");
            james.stop(STOP_GRACE);
            stopCassandra(startedCassandra);
            out.println("Dispatch stopped.");
        }, "dispatch-launcher-stop");
        Runtime.getRuntime().addShutdownHook(shutdown);

        List<Listener> awaited = new ArrayList<>(listeners);
        if (webadmin != null) {
            // the admin commands need it as soon as "running" is printed
            awaited.add(new Listener("webadmin", PropertiesFile.get(webadmin, "host", "127.0.0.1"),
                PropertiesFile.port(webadmin, conf.resolve("webadmin.properties"), "port", 8000), "HTTP"));
        }
        try {
            james.awaitListening(awaited, JAMES_START_TIMEOUT);
        } catch (LaunchException e) {
            Runtime.getRuntime().removeShutdownHook(shutdown);
            james.stop(STOP_GRACE);
            stopCassandra(cassandra);
            throw e;
        }
        printSummary(cassandraLine, james, listeners, logs, adminAccess);

        int code = james.waitFor();
        if (stopping.get()) {
            return 0;
        }
        Runtime.getRuntime().removeShutdownHook(shutdown);
        out.println("James exited by itself (code " + code + "); see " + logs.resolve("james.log"));
        stopCassandra(cassandra);
        return code == 0 ? 1 : code;
    }

    private void checkLayout() throws LaunchException {
        for (String part : List.of("james/lib", "extensions-jars", "cassandra/lib")) {
            if (!Files.isDirectory(home.resolve(part))) {
                throw new LaunchException("the distribution at " + home + " has no " + part
                    + "/ folder: build it first with 'mvn -DskipTests package'");
            }
        }
        for (String file : List.of("dispatch.properties", "smtpserver.xml", "mailetcontainer.xml")) {
            if (!Files.isRegularFile(conf.resolve(file))) {
                throw new LaunchException("the configuration folder " + conf + " has no " + file);
            }
        }
    }

    private EmbeddedCassandra startCassandra(Properties settings, Path file) throws LaunchException {
        String address = PropertiesFile.get(settings, "embedded.cassandra.address", "127.0.0.1");
        int nativePort = PropertiesFile.port(settings, file, "embedded.cassandra.nativePort", 9042);
        int storagePort = PropertiesFile.port(settings, file, "embedded.cassandra.storagePort", 7000);
        String heap = PropertiesFile.get(settings, "embedded.cassandra.heap", "1G");
        if (!heap.matches("\\d+[MmGg]")) {
            throw new LaunchException(file + ": embedded.cassandra.heap '" + heap + "' is not a size such as 512M or 1G");
        }
        out.println("Starting the embedded Cassandra on " + address + ":" + nativePort + " ...");
        try {
            return EmbeddedCassandra.start(EmbeddedCassandra.Settings.builder()
                .libDir(home.resolve("cassandra/lib"))
                .baseDir(state.resolve("cassandra"))
                .address(address)
                .nativePort(nativePort)
                .storagePort(storagePort)
                .heap(heap)
                // This launcher stops Cassandra itself, after James (see run()).
                .killOnOwnerExit(false)
                .build());
        } catch (CassandraStartException e) {
            throw new LaunchException(e.getMessage());
        }
    }

    private void stopCassandra(EmbeddedCassandra cassandra) {
        if (cassandra != null) {
            out.println("Stopping the embedded Cassandra (pid " + cassandra.pid() + ") ...");
            cassandra.close();
        }
    }

    /** JAVA_OPTS for James, as in James's own start scripts; 1 GiB of heap by default. */
    private static List<String> javaOpts() {
        String opts = System.getenv("JAVA_OPTS");
        if (opts == null || opts.trim().isEmpty()) {
            return List.of("-Xms256m", "-Xmx1g");
        }
        return Arrays.stream(opts.trim().split("\\s+")).collect(Collectors.toList());
    }

    private void printSummary(String cassandraLine, JamesProcess james, List<Listener> listeners, Path logs,
                              String adminAccess) throws LaunchException {
        out.println();
        out.println("Dispatch is running.");
        out.println("  Cassandra   " + cassandraLine);
        out.println("  James       pid " + james.pid() + ", working directory " + state.resolve("james")
            + ", configuration from " + conf);
        for (Listener listener : listeners) {
            out.println("  SMTP        " + listener);
        }
        Properties webadmin = webadminProperties();
        if (webadmin != null) {
            out.println("  webadmin    http://" + PropertiesFile.get(webadmin, "host", "localhost") + ":"
                + PropertiesFile.get(webadmin, "port", "8000") + ", " + adminAccess);
        }
        out.println("  logs        " + logs.resolve("james.log"));
        out.println("Stop with Ctrl-C (or SIGTERM to pid " + ProcessHandle.current().pid() + ").");
    }

    /**
     * With the shipped jwt settings and no conf/jwt_publickey, the launcher's own key pair signs the
     * tokens: its public half goes into the runtime conf James reads, the admin token beside it.
     * Returns how the admin gets in, for the summary.
     */
    private String webadminAuthentication(Properties webadmin, Path runtimeConf) throws LaunchException, IOException {
        Path file = conf.resolve("webadmin.properties");
        if (!"true".equalsIgnoreCase(PropertiesFile.get(webadmin, "jwt.enabled", "false"))) {
            return "NO AUTHENTICATION (jwt.enabled is not true in " + file + "): whoever reaches the port is admin";
        }
        String keyUrl = PropertiesFile.get(webadmin, "jwt.publickeypem.url", "");
        if (keyUrl.isEmpty()) {
            throw new LaunchException(file + ": jwt.enabled=true needs jwt.publickeypem.url (shipped value: "
                + SHIPPED_JWT_KEY_URL + ", which the launcher fills)");
        }
        if (!keyUrl.equals(SHIPPED_JWT_KEY_URL) || Files.exists(conf.resolve("jwt_publickey"))) {
            return "tokens signed with the key of " + keyUrl + " (none made here: give --token-file to the admin commands)";
        }
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clock);
        Files.copy(credentials.publicKeyFile(), runtimeConf.resolve("jwt_publickey"), StandardCopyOption.REPLACE_EXISTING);
        return "admin token in " + credentials.tokenFile();
    }

    private Properties webadminProperties() throws LaunchException {
        Path file = conf.resolve("webadmin.properties");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Properties properties = PropertiesFile.read(file);
        return "true".equalsIgnoreCase(PropertiesFile.get(properties, "enabled", "false")) ? properties : null;
    }

    static void replaceWithCopy(Path source, Path target) throws IOException {
        if (Files.exists(target)) {
            try (Stream<Path> paths = Files.walk(target)) {
                for (Path path : paths.sorted((a, b) -> b.compareTo(a)).collect(Collectors.toList())) {
                    Files.delete(path);
                }
            }
        }
        Files.walkFileTree(source, new SimpleFileVisitor<Path>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, target.resolve(source.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
