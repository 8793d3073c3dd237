package org.dispatchmail.dist.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A real single-node Apache Cassandra in a forked Java 17 JVM, run from the cassandra-all jars (no tarball, no
 * scripts). Everything lives under {@link Settings#baseDir()}: {@code cassandra.yaml} and {@code logback.xml}
 * (rewritten on every start), {@code data/} (kept across restarts), {@code logs/system.log} and
 * {@code logs/stdout.log} (the JVM's stdout and stderr: WARN and above, and JVM-level errors).
 *
 * <p>The child never outlives its owner: {@link #close()} stops it, a JVM shutdown hook kills it if the owner exits
 * without {@code close()}, and a {@link Watchdog} kills it if the owner is killed outright (SIGKILL).
 */
public final class EmbeddedCassandra implements AutoCloseable {
    private static final int LOG_LINES = 20;
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final long POLL_MILLIS = 100;
    private static final int CONNECT_TIMEOUT_MILLIS = 250;

    /** Everything {@link #start(Settings)} needs. Immutable; made with {@link #builder()}. */
    public static final class Settings {
        private final Path libDir;
        private final Path baseDir;
        private final String address;
        private final int nativePort;
        private final int storagePort;
        private final String heap;
        private final Path javaHome;
        private final Duration startTimeout;
        private final boolean deleteOnClose;
        private final String clusterName;
        private final boolean killOnOwnerExit;
        private final String seeds;
        private final String initialToken;

        private Settings(Builder b) {
            this.libDir = b.libDir;
            this.baseDir = b.baseDir;
            this.address = b.address;
            this.nativePort = b.nativePort;
            this.storagePort = b.storagePort;
            this.heap = b.heap;
            this.javaHome = b.javaHome;
            this.startTimeout = b.startTimeout;
            this.deleteOnClose = b.deleteOnClose;
            this.clusterName = b.clusterName;
            this.killOnOwnerExit = b.killOnOwnerExit;
            this.seeds = b.seeds;
            this.initialToken = b.initialToken;
        }

        public static Builder builder() {
            return new Builder();
        }

        /** A builder holding these settings, to derive variants. */
        public Builder toBuilder() {
            Builder b = new Builder();
            b.libDir = libDir;
            b.baseDir = baseDir;
            b.address = address;
            b.nativePort = nativePort;
            b.storagePort = storagePort;
            b.heap = heap;
            b.javaHome = javaHome;
            b.startTimeout = startTimeout;
            b.deleteOnClose = deleteOnClose;
            b.clusterName = clusterName;
            b.killOnOwnerExit = killOnOwnerExit;
            b.seeds = seeds;
            b.initialToken = initialToken;
            return b;
        }

        /** Absolute folder holding cassandra-all-*.jar and its runtime jars. */
        public Path libDir() {
            return libDir;
        }

        /** Absolute folder of the configuration, data and logs. */
        public Path baseDir() {
            return baseDir;
        }

        public String address() {
            return address;
        }

        public int nativePort() {
            return nativePort;
        }

        public int storagePort() {
            return storagePort;
        }

        /** -Xms and -Xmx of the Cassandra JVM, e.g. "1G" or "768M". */
        public String heap() {
            return heap;
        }

        /** The Java home explicitly chosen, if any (else see {@link Builder#javaHome(Path)}). */
        public Optional<Path> javaHome() {
            return Optional.ofNullable(javaHome);
        }

        public Duration startTimeout() {
            return startTimeout;
        }

        public boolean deleteOnClose() {
            return deleteOnClose;
        }

        public String clusterName() {
            return clusterName;
        }

        /** The seed nodes ("address:storagePort", comma-separated); a lone node is its own seed. */
        public String seeds() {
            return seeds == null ? address + ":" + storagePort : seeds;
        }

        /** This node's one token; nodes of a ring need distinct ones, spread over the Murmur3 range. */
        public String initialToken() {
            return initialToken;
        }

        @Override
        public String toString() {
            return "Settings{libDir=" + libDir + ", baseDir=" + baseDir + ", address=" + address
                    + ", nativePort=" + nativePort + ", storagePort=" + storagePort + ", heap=" + heap
                    + ", javaHome=" + javaHome + ", startTimeout=" + startTimeout + ", deleteOnClose=" + deleteOnClose
                    + ", clusterName=" + clusterName + ", seeds=" + seeds() + ", initialToken=" + initialToken + "}";
        }

        public static final class Builder {
            private static final Pattern HEAP = Pattern.compile("[1-9][0-9]*[kKmMgG]?");
            private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.:%_-]+");
            private static final Pattern SEEDS = Pattern.compile("[A-Za-z0-9.:%_\\[\\]-]+(,[A-Za-z0-9.:%_\\[\\]-]+)*");
            private static final Pattern TOKEN = Pattern.compile("-?[0-9]{1,19}");

            private Path libDir;
            private Path baseDir;
            private String address = "127.0.0.1";
            private int nativePort = 9042;
            private int storagePort = 7000;
            private String heap = "1G";
            private Path javaHome;
            private Duration startTimeout = Duration.ofSeconds(180);
            private boolean deleteOnClose;
            private String clusterName = "dispatch";
            private boolean killOnOwnerExit = true;
            private String seeds;
            private String initialToken = "0";

            private Builder() {
            }

            /** For a node of a ring: the seeds, "address:storagePort" comma-separated (default: this node). */
            public Builder seeds(String seeds) {
                this.seeds = seeds;
                return this;
            }

            /** For a node of a ring: its one token (default 0); see {@link Settings#initialToken()}. */
            public Builder initialToken(String initialToken) {
                this.initialToken = initialToken;
                return this;
            }

            /** Required: the folder with cassandra-all and its jars (cassandra-server/target/lib in this build). */
            public Builder libDir(Path libDir) {
                this.libDir = libDir;
                return this;
            }

            /** Required: configuration, data/ and logs/ live under it; reusing it restarts on the existing data. */
            public Builder baseDir(Path baseDir) {
                this.baseDir = baseDir;
                return this;
            }

            /** Listen, RPC and seed address; default 127.0.0.1. */
            public Builder address(String address) {
                this.address = address;
                return this;
            }

            /** CQL port; default 9042. */
            public Builder nativePort(int nativePort) {
                this.nativePort = nativePort;
                return this;
            }

            /** Inter-node (gossip) port, also the seed's port; default 7000. */
            public Builder storagePort(int storagePort) {
                this.storagePort = storagePort;
                return this;
            }

            /** -Xms/-Xmx of the Cassandra JVM; default "1G". The process takes about heap + 0.5 GB. */
            public Builder heap(String heap) {
                this.heap = heap;
                return this;
            }

            /**
             * Java 11 or 17 home to run Cassandra with. If null (default): -Dcassandra.java.home, else the environment
             * variable CASSANDRA_JAVA_HOME, else the current JVM if it is Java 11 or 17, else
             * /usr/lib/jvm/java-17-openjdk-amd64.
             */
            public Builder javaHome(Path javaHome) {
                this.javaHome = javaHome;
                return this;
            }

            /** How long to wait for the CQL port; default 180 s. */
            public Builder startTimeout(Duration startTimeout) {
                this.startTimeout = startTimeout;
                return this;
            }

            /** Delete baseDir in {@link EmbeddedCassandra#close()}; default false. */
            public Builder deleteOnClose(boolean deleteOnClose) {
                this.deleteOnClose = deleteOnClose;
                return this;
            }

            /**
             * Whether a JVM shutdown hook kills Cassandra when the owner exits without close(); default true.
             * An owner with its own shutdown sequence (the launcher stops James first, then calls close())
             * turns it off; the watchdog still kills Cassandra if the owner is killed outright.
             */
            public Builder killOnOwnerExit(boolean killOnOwnerExit) {
                this.killOnOwnerExit = killOnOwnerExit;
                return this;
            }

            /** Cluster name; default "dispatch". Must stay the same for the life of the data. */
            public Builder clusterName(String clusterName) {
                this.clusterName = clusterName;
                return this;
            }

            /** @throws IllegalArgumentException naming the first invalid or missing setting */
            public Settings build() {
                if (libDir == null) {
                    throw new IllegalArgumentException("libDir is required: the folder with cassandra-all-*.jar and its jars");
                }
                if (baseDir == null) {
                    throw new IllegalArgumentException("baseDir is required: the folder for configuration, data and logs");
                }
                if (address == null || !ADDRESS.matcher(address).matches()) {
                    throw new IllegalArgumentException("address must be an IP address or host name, got: " + address);
                }
                checkPort("nativePort", nativePort);
                checkPort("storagePort", storagePort);
                if (nativePort == storagePort) {
                    throw new IllegalArgumentException("nativePort and storagePort must differ, both are " + nativePort);
                }
                if (heap == null || !HEAP.matcher(heap).matches()) {
                    throw new IllegalArgumentException("heap must look like 512M, 1G or 1048576k, got: " + heap);
                }
                if (startTimeout == null || startTimeout.isNegative() || startTimeout.isZero()) {
                    throw new IllegalArgumentException("startTimeout must be positive, got: " + startTimeout);
                }
                if (clusterName == null || clusterName.isBlank() || clusterName.chars().anyMatch(Character::isISOControl)) {
                    throw new IllegalArgumentException("clusterName must be a non-blank single line, got: " + clusterName);
                }
                if (seeds != null && !SEEDS.matcher(seeds).matches()) {
                    throw new IllegalArgumentException("seeds must be address:port[,address:port...], got: " + seeds);
                }
                if (initialToken == null || !TOKEN.matcher(initialToken).matches()) {
                    throw new IllegalArgumentException("initialToken must be a whole number, got: " + initialToken);
                }
                Builder normalized = copy();
                normalized.libDir = libDir.toAbsolutePath().normalize();
                normalized.baseDir = baseDir.toAbsolutePath().normalize();
                normalized.javaHome = javaHome == null ? null : javaHome.toAbsolutePath().normalize();
                return new Settings(normalized);
            }

            private Builder copy() {
                Builder b = new Builder();
                b.libDir = libDir;
                b.baseDir = baseDir;
                b.address = address;
                b.nativePort = nativePort;
                b.storagePort = storagePort;
                b.heap = heap;
                b.javaHome = javaHome;
                b.startTimeout = startTimeout;
                b.deleteOnClose = deleteOnClose;
                b.clusterName = clusterName;
                b.killOnOwnerExit = killOnOwnerExit;
                b.seeds = seeds;
                b.initialToken = initialToken;
                return b;
            }

            private static void checkPort(String name, int port) {
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException(name + " must be within 1..65535, got: " + port);
                }
            }
        }
    }

    private final Settings settings;
    private final Process process;
    private final Watchdog watchdog;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedCassandra(Settings settings, Process process, Watchdog watchdog, Thread shutdownHook) {
        this.settings = settings;
        this.process = process;
        this.watchdog = watchdog;
        this.shutdownHook = shutdownHook;
    }

    /**
     * Writes cassandra.yaml and logback.xml into baseDir, forks Cassandra and returns once its CQL port accepts a TCP
     * connection (about 5-9 s). Fails before forking if libDir, the Java runtime or a port is not usable; fails as
     * soon as the process exits; kills it when startTimeout passes.
     */
    public static EmbeddedCassandra start(Settings settings) throws CassandraStartException {
        Objects.requireNonNull(settings, "settings");
        Path jamm = checkLibDir(settings.libDir());
        Path javaHome = LaunchSupport.resolveJavaHome(settings.javaHome().orElse(null),
                System.getProperty("cassandra.java.home"), System.getenv("CASSANDRA_JAVA_HOME"),
                Runtime.version().feature(), Paths.get(System.getProperty("java.home")), LaunchSupport.DEFAULT_JAVA_HOME);
        checkNotRunningOn(settings.baseDir());
        checkPortFree("native (CQL) port", settings.address(), settings.nativePort());
        checkPortFree("storage port", settings.address(), settings.storagePort());

        Path base = settings.baseDir();
        Path logs = base.resolve("logs");
        Path stdout = logs.resolve("stdout.log");
        List<String> command = LaunchSupport.command(settings, LaunchSupport.javaExecutable(javaHome), jamm);
        try {
            Files.createDirectories(base.resolve("data"));
            Files.createDirectories(logs);
            Files.writeString(base.resolve("cassandra.yaml"), LaunchSupport.renderYaml(settings));
            Files.writeString(base.resolve("logback.xml"), LaunchSupport.logbackXml());
            Files.write(base.resolve("cassandra.cmdline"), command, StandardCharsets.UTF_8);
            if (Files.exists(stdout)) {
                Files.move(stdout, logs.resolve("stdout.log.1"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new CassandraStartException("Cannot prepare Cassandra's folder " + base + ": " + e, e);
        }

        long startedAt = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command)
                    .directory(base.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(stdout.toFile()))
                    .start();
        } catch (IOException e) {
            throw new CassandraStartException("Cannot run " + command.get(0) + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close(); // Cassandra reads no stdin
        } catch (IOException ignored) {
            // nothing to do
        }
        Watchdog watchdog = Watchdog.watch(process.pid(), LaunchSupport.instanceMarker(base));
        Thread hook = settings.killOnOwnerExit
                ? new Thread(() -> onOwnerExit(settings, process, watchdog), "cassandra-shutdown-" + process.pid())
                : null;
        try {
            if (hook != null) {
                Runtime.getRuntime().addShutdownHook(hook);
            }
        } catch (IllegalStateException shuttingDown) {
            onOwnerExit(settings, process, watchdog);
            throw new CassandraStartException("The JVM is shutting down; Cassandra was not started.", shuttingDown);
        }
        EmbeddedCassandra cassandra = new EmbeddedCassandra(settings, process, watchdog, hook);
        writePidFile(base, process.pid());

        cassandra.awaitCqlPort(startedAt);
        return cassandra;
    }

    /** The address Cassandra listens on, e.g. "127.0.0.1". */
    public String address() {
        return settings.address();
    }

    public int nativePort() {
        return settings.nativePort();
    }

    public int storagePort() {
        return settings.storagePort();
    }

    /** "address:nativePort", e.g. "127.0.0.1:9042" (IPv6 addresses in brackets). */
    public String contactPoint() {
        String host = settings.address().contains(":") ? "[" + settings.address() + "]" : settings.address();
        return host + ":" + settings.nativePort();
    }

    /** The datacenter of the node, for the CQL driver's local datacenter: SimpleSnitch's "datacenter1". */
    public String localDatacenter() {
        return "datacenter1";
    }

    /** baseDir/logs/system.log. */
    public Path logFile() {
        return settings.baseDir().resolve("logs").resolve("system.log");
    }

    /** baseDir/logs/stdout.log: stdout and stderr of the Cassandra JVM. */
    public Path stdoutFile() {
        return settings.baseDir().resolve("logs").resolve("stdout.log");
    }

    public Path baseDir() {
        return settings.baseDir();
    }

    public Settings settings() {
        return settings;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Clean stop: SIGTERM (Cassandra drains and flushes, about 7 s), at most 60 s, then SIGKILL. Then deletes baseDir
     * if deleteOnClose. Idempotent; also fine after {@link #kill()}.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        process.destroy();
        boolean exited = waitFor(process, STOP_TIMEOUT);
        if (!exited) {
            process.destroyForcibly();
            waitFor(process, Duration.ofSeconds(30));
        }
        releaseResources();
        if (settings.deleteOnClose()) {
            deleteRecursively(settings.baseDir());
        }
    }

    /** SIGKILL, right now; waits until the process is gone. {@link #close()} still cleans up afterwards. */
    public void kill() {
        process.destroyForcibly();
        waitFor(process, Duration.ofSeconds(30));
        if (watchdog != null) {
            watchdog.stop();
        }
    }

    @Override
    public String toString() {
        return "EmbeddedCassandra{pid=" + process.pid() + ", cql=" + contactPoint() + ", baseDir=" + settings.baseDir()
                + ", alive=" + process.isAlive() + "}";
    }

    private void awaitCqlPort(long startedAt) throws CassandraStartException {
        long deadline = startedAt + settings.startTimeout().toNanos();
        InetSocketAddress cql = new InetSocketAddress(settings.address(), settings.nativePort());
        while (true) {
            if (!process.isAlive()) {
                int code = process.exitValue();
                abandon();
                throw new CassandraStartException("Cassandra exited with code " + code + " after " + millisSince(startedAt)
                        + " ms, before its CQL port " + contactPoint() + " opened.\n" + where() + "\n"
                        + LogTail.describe(nonEmpty(stdoutFile()) ? stdoutFile() : logFile(), LOG_LINES));
            }
            if (accepts(cql)) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                kill();
                abandon();
                throw new CassandraStartException("Cassandra did not open its CQL port " + contactPoint() + " within "
                        + settings.startTimeout().toSeconds() + " s; killed it (pid " + process.pid() + ").\n" + where()
                        + "\n" + LogTail.describe(nonEmpty(logFile()) ? logFile() : stdoutFile(), LOG_LINES));
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                kill();
                abandon();
                Thread.currentThread().interrupt();
                throw new CassandraStartException("Interrupted while waiting for Cassandra to start; killed it.\n"
                        + where(), e);
            }
        }
    }

    /** After a failed start: no hook, no watchdog, no pid file; the files stay for diagnosis. */
    private void abandon() {
        closed.set(true);
        releaseResources();
    }

    private void releaseResources() {
        if (watchdog != null) {
            watchdog.stop();
        }
        try {
            if (shutdownHook != null) {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
        } catch (IllegalStateException shuttingDown) {
            // close() called while the JVM shuts down: the hook is running or will, and kill() is harmless then
        }
        try {
            Files.deleteIfExists(settings.baseDir().resolve("cassandra.pid"));
        } catch (IOException ignored) {
            // only informative
        }
    }

    private String where() {
        return "Log: " + logFile() + " (JVM output: " + stdoutFile() + ", command: "
                + settings.baseDir().resolve("cassandra.cmdline") + ")";
    }

    private static void onOwnerExit(Settings settings, Process process, Watchdog watchdog) {
        process.destroyForcibly();
        waitFor(process, Duration.ofSeconds(10));
        if (watchdog != null) {
            watchdog.stop();
        }
        try {
            Files.deleteIfExists(settings.baseDir().resolve("cassandra.pid"));
        } catch (IOException ignored) {
            // only informative
        }
        if (settings.deleteOnClose()) {
            try {
                deleteRecursively(settings.baseDir());
            } catch (RuntimeException e) {
                System.err.println("[cassandra] could not delete " + settings.baseDir() + ": " + e.getMessage());
            }
        }
    }

    private static Path checkLibDir(Path libDir) throws CassandraStartException {
        String hint = " It must hold cassandra-all-*.jar and its runtime jars (in the Dispatch build: "
                + "cassandra-server/target/lib, made by 'mvn -pl cassandra-server generate-resources').";
        if (!Files.isDirectory(libDir)) {
            throw new CassandraStartException("Cassandra lib folder " + libDir + " does not exist or is not a folder." + hint);
        }
        if (LaunchSupport.findJar(libDir, "cassandra-all-") == null) {
            throw new CassandraStartException("Cassandra lib folder " + libDir + " has no cassandra-all-*.jar." + hint);
        }
        Path jamm = LaunchSupport.findJar(libDir, "jamm-");
        if (jamm == null) {
            throw new CassandraStartException("Cassandra lib folder " + libDir + " has no jamm-*.jar (the -javaagent "
                    + "Cassandra needs), so its runtime jars are incomplete." + hint);
        }
        String mixed = LaunchSupport.mixedVersions(libDir);
        if (mixed != null) {
            throw new CassandraStartException("Cassandra lib folder " + libDir + " mixes versions of " + mixed
                    + ", so Cassandra would die at startup. A BOM or dependencyManagement of the build that copied the"
                    + " jars overrides some of cassandra-all's own dependency versions; resolve cassandra-all without it.");
        }
        return jamm;
    }

    /** Refuses a second Cassandra on the same baseDir (same data files) while the first still runs. */
    private static void checkNotRunningOn(Path baseDir) throws CassandraStartException {
        Path pidFile = baseDir.resolve("cassandra.pid");
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile).strip());
        } catch (IOException | NumberFormatException noOrBadPidFile) {
            return;
        }
        String marker = LaunchSupport.instanceMarker(baseDir);
        boolean ours = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .flatMap(p -> p.info().arguments())
                .map(args -> List.of(args).contains(marker))
                .orElse(false);
        if (ours) {
            throw new CassandraStartException("A Cassandra (pid " + pid + ") is already running on " + baseDir
                    + "; stop it first (kill " + pid + ").");
        }
    }

    private static void checkPortFree(String what, String address, int port) throws CassandraStartException {
        InetSocketAddress endpoint = new InetSocketAddress(address, port);
        if (endpoint.isUnresolved()) {
            throw new CassandraStartException("Cannot start Cassandra: address " + address + " does not resolve.");
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // as Cassandra binds: a port only in TIME_WAIT counts as free
            socket.bind(endpoint);
        } catch (IOException e) {
            throw new CassandraStartException("Cannot start Cassandra: its " + what + " " + address + ":" + port
                    + " is not available (" + e.getMessage() + "). Another process, maybe another Cassandra, "
                    + "uses it; stop that or choose another port.");
        }
    }

    private static void writePidFile(Path baseDir, long pid) {
        try {
            Files.writeString(baseDir.resolve("cassandra.pid"), pid + "\n");
        } catch (IOException ignored) {
            // only informative
        }
    }

    private static boolean accepts(InetSocketAddress address) {
        try (Socket socket = new Socket()) {
            socket.connect(address, CONNECT_TIMEOUT_MILLIS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean waitFor(Process process, Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !process.isAlive();
        }
    }

    private static boolean nonEmpty(Path file) {
        try {
            return Files.isRegularFile(file) && Files.size(file) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static long millisSince(long nanoTime) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoTime);
    }

    static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<Path>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
