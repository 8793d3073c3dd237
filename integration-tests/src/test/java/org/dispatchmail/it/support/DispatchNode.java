package org.dispatchmail.it.support;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.dispatchmail.dist.cassandra.FreePorts;

/**
 * A Dispatch node as an admin runs it: the distribution's launcher ("dispatch run") in its own
 * process, with the project's conf/ copied and pointed at test peers: every listener on a free
 * loopback port, the given Cassandra, DNS server and remote SMTP port.
 */
public final class DispatchNode implements AutoCloseable {
    /** A smaller heap than the launcher's default (-Xms256m -Xmx1g), so several nodes fit on a small machine. */
    public static final String TEST_JAVA_OPTS = "-Xms128m -Xmx512m";

    private static final Pattern BIND = Pattern.compile("<bind>0\\.0\\.0\\.0:(\\d+)</bind>");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    private final Process process;
    private final Path dir;
    private final Path output;
    private final Map<Integer, Integer> ports;
    private final int webadminPort;

    private DispatchNode(Process process, Path dir, Path output, Map<Integer, Integer> ports, int webadminPort) {
        this.process = process;
        this.dir = dir;
        this.output = output;
        this.ports = ports;
        this.webadminPort = webadminPort;
    }

    public static Path home() {
        return Path.of(required("dispatch.home"));
    }

    public static Path projectConf() {
        return Path.of(required("dispatch.conf"));
    }

    /** A copy of the shipped conf/ with dispatch.properties values replaced; listeners and webadmin on free ports. */
    public static Path prepareConf(Path dir, Map<String, String> properties, Map<Integer, Integer> ports,
                                   int webadminPort) throws IOException {
        return prepareConf(dir, properties, UnaryOperator.identity(), ports, webadminPort);
    }

    /** As above, with smtpserver.xml first edited by {@code smtpServerXml} (e.g. a handler parameter changed). */
    public static Path prepareConf(Path dir, Map<String, String> properties, UnaryOperator<String> smtpServerXml,
                                   Map<Integer, Integer> ports, int webadminPort) throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        try (Stream<Path> files = Files.list(projectConf())) {
            for (Path file : files.collect(Collectors.toList())) {
                Files.copy(file, conf.resolve(file.getFileName().toString()));
            }
        }
        Path smtp = conf.resolve("smtpserver.xml");
        Matcher binds = BIND.matcher(smtpServerXml.apply(Files.readString(smtp)));
        StringBuffer rewritten = new StringBuffer();
        while (binds.find()) {
            int port = FreePorts.pick();
            ports.put(Integer.parseInt(binds.group(1)), port);
            binds.appendReplacement(rewritten, "<bind>127.0.0.1:" + port + "</bind>");
        }
        binds.appendTail(rewritten);
        Files.writeString(smtp, rewritten.toString());
        setProperty(conf.resolve("webadmin.properties"), "port", String.valueOf(webadminPort));
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            setProperty(conf.resolve("dispatch.properties"), entry.getKey(), entry.getValue());
        }
        return conf;
    }

    /** Starts a node and waits until the launcher reports it running (all listeners open). */
    public static DispatchNode start(Map<String, String> properties) throws IOException, InterruptedException {
        return start(properties, UnaryOperator.identity());
    }

    /** A node whose smtpserver.xml is first edited by {@code smtpServerXml}. */
    public static DispatchNode start(Map<String, String> properties, UnaryOperator<String> smtpServerXml)
        throws IOException, InterruptedException {
        return start(properties, smtpServerXml, TEST_JAVA_OPTS);
    }

    /** A node whose James runs with these JVM options (JAVA_OPTS), e.g. the launcher's default heap. */
    public static DispatchNode start(Map<String, String> properties, UnaryOperator<String> smtpServerXml,
                                     String javaOpts) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("dispatch-node-");
        Map<Integer, Integer> ports = new LinkedHashMap<>();
        int webadminPort = FreePorts.pick();
        Path conf = prepareConf(dir, properties, smtpServerXml, ports, webadminPort);
        Path output = dir.resolve("launcher.out");
        ProcessBuilder run = launcher("run", "--conf", conf.toString(), "--state", dir.resolve("state").toString());
        run.environment().put("JAVA_OPTS", javaOpts);
        Process process = run.redirectErrorStream(true).redirectOutput(output.toFile()).start();
        DispatchNode node = new DispatchNode(process, dir, output, ports, webadminPort);
        node.awaitRunning();
        return node;
    }

    /** The launcher, as the README's command runs it (java -jar dispatch-launcher.jar ...). */
    public static ProcessBuilder launcher(String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(home().resolve("dispatch-launcher.jar").toString());
        command.addAll(List.of(arguments));
        command.add("--home");
        command.add(home().toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("JAVA_OPTS", TEST_JAVA_OPTS);
        return builder;
    }

    private void awaitRunning() throws InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains("Dispatch is running.")) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException("dispatch run exited with " + process.exitValue() + ":\n" + output());
            }
            Thread.sleep(200);
        }
        close();
        throw new IllegalStateException("dispatch run did not report running within " + START_TIMEOUT + ":\n" + output());
    }

    /** The local port that stands for the shipped listener port (25, 587, 2587, 2525, 465, 2465). */
    public int port(int shippedPort) {
        Integer port = ports.get(shippedPort);
        if (port == null) {
            throw new IllegalArgumentException("conf/smtpserver.xml has no listener on " + shippedPort);
        }
        return port;
    }

    public URI webadmin() {
        return URI.create("http://127.0.0.1:" + webadminPort);
    }

    /** Runs a launcher admin command (add-domain, add-user, dkim ...) against this node, as the README shows. */
    public String admin(String... arguments) throws IOException, InterruptedException {
        return adminWithInput("", arguments);
    }

    /** The same, with text on its standard input (a password the command asks for). */
    public String adminWithInput(String input, String... arguments) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of(arguments));
        all.add("--webadmin");
        all.add(webadmin().toString());
        // as ./dispatch passes it: the admin commands read the token in STATE/admin-token
        all.add("--state");
        all.add(stateDir().toString());
        Process command = launcher(all.toArray(new String[0])).redirectErrorStream(true).start();
        command.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        command.getOutputStream().close();
        String text = new String(command.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!command.waitFor(60, TimeUnit.SECONDS) || command.exitValue() != 0) {
            throw new IllegalStateException("dispatch " + String.join(" ", arguments) + " failed: " + text);
        }
        return text;
    }

    public String output() {
        try {
            return Files.readString(output);
        } catch (IOException e) {
            return "";
        }
    }

    public Path jamesLog() {
        return dir.resolve("state/logs/james.log");
    }

    public Path stateDir() {
        return dir.resolve("state");
    }

    /** The webadmin token the launcher made at first start. */
    public String adminToken() {
        try {
            return Files.readString(stateDir().resolve("admin-token")).trim();
        } catch (IOException e) {
            throw new IllegalStateException("the launcher wrote no admin token: " + e.getMessage(), e);
        }
    }

    /** The Authorization header value of a webadmin call with the admin token. */
    public String bearer() {
        return "Bearer " + adminToken();
    }

    /** Stops the node as Ctrl-C would; returns the launcher's exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    /**
     * Kills the node as a power cut would: SIGKILL to the launcher and every process under it
     * (James), with no shutdown hook run. Returns once all of them are gone.
     */
    public void kill() throws InterruptedException {
        List<ProcessHandle> tree = new ArrayList<>();
        process.toHandle().descendants().forEach(tree::add);
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle handle : tree) {
            try {
                handle.onExit().get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("process " + handle.pid() + " of the node survived SIGKILL", e);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop();
        }
    }

    static void setProperty(Path file, String key, String value) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(key + "=")) {
                lines.set(i, key + "=" + value);
                replaced = true;
            }
        }
        if (!replaced) {
            lines.add(key + "=" + value);
        }
        Files.write(file, lines);
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set (the Maven build sets it)");
        }
        return value;
    }
}
