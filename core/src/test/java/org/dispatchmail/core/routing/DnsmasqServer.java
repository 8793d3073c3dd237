package org.dispatchmail.core.routing;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq on 127.0.0.1 and a free port, answering from command-line records only (no upstream, no hosts
 * file), for tests that need a DNS server. A missing dnsmasq fails the test: it is a required test peer.
 */
public final class DnsmasqServer implements AutoCloseable {

    private static final String DNSMASQ = "/usr/sbin/dnsmasq";
    private static final Duration READY_WITHIN = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;
    private static final int DEFAULT_TTL_SECONDS = 300;

    private final Process process;
    private final int port;
    private final Path log;
    // if a test run is cut short, the JVM still takes its dnsmasq down with it
    private final Thread stopOnExit;

    private DnsmasqServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.stopOnExit = new Thread(process::destroyForcibly, "dnsmasq-stopper");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /**
     * Starts dnsmasq serving the ".test" zone locally, with {@code records} as extra options such as
     * "--mx-host=sink.test,mx.sink.test,10" or "--host-record=mx.sink.test,127.0.0.25". Its records have a TTL
     * of 300 s unless the options carry a "--local-ttl=" of their own (e.g. "--local-ttl=1", so that a resolver's
     * cache lets go of them soon after this server is replaced by one with other records).
     */
    public static DnsmasqServer start(List<String> records) throws IOException, InterruptedException {
        return start(0, records);
    }

    /**
     * On a given port (0: a free one), e.g. to serve new records where a server under test already
     * looks: stop the old instance, then start this one on its port.
     */
    public static DnsmasqServer start(int fixedPort, List<String> records) throws IOException, InterruptedException {
        if (!new File(DNSMASQ).canExecute()) {
            throw new IllegalStateException(DNSMASQ + " is missing: install Debian's dnsmasq-base package (.ci/run does)");
        }
        IOException lastFailure = null;
        for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
            int port = fixedPort != 0 ? fixedPort : freePort();
            Path log = Files.createTempFile("dnsmasq-", ".log");
            List<String> command = new ArrayList<>(List.of(DNSMASQ,
                    "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                    "--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + port,
                    "--local=/test/", "--pid-file=", "--conf-file=/dev/null",
                    "--log-queries", "--log-facility=-"));
            if (records.stream().noneMatch(option -> option.startsWith("--local-ttl="))) {
                command.add("--local-ttl=" + DEFAULT_TTL_SECONDS); // dnsmasq refuses the option twice
            }
            if ("root".equals(System.getProperty("user.name"))) {
                command.add("--user=root"); // otherwise it drops to "nobody", which may not exist in containers
            }
            command.addAll(records);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            DnsmasqServer server = new DnsmasqServer(process, port, log);
            if (server.awaitReady()) {
                return server;
            }
            lastFailure = new IOException("dnsmasq did not answer on port " + port + ": " + server.logText());
            server.close();
        }
        throw lastFailure;
    }

    /** "127.0.0.1:port", as MxResolver takes it. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** What dnsmasq logged so far (with --log-queries), for failure messages. */
    public String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** A port free for both UDP and TCP on 127.0.0.1 right now (dnsmasq listens on both). */
    public static int freePort() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 20; i++) {
            try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
                 ServerSocket tcp = new ServerSocket()) {
                tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()));
                return udp.getLocalPort();
            } catch (IOException e) {
                // the TCP side was taken; try another
            }
        }
        throw new IOException("no free port found on 127.0.0.1");
    }

    // Ready once it answers any query; bounded so a broken install fails the test instead of hanging it.
    private boolean awaitReady() throws InterruptedException {
        SimpleResolver probe = new SimpleResolver(new InetSocketAddress("127.0.0.1", port));
        probe.setTimeout(Duration.ofMillis(200));
        long deadline = System.nanoTime() + READY_WITHIN.toNanos();
        Message query = Message.newQuery(Record.newRecord(Name.fromConstantString("ready.test."), Type.A, DClass.IN));
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                probe.send(query);
                return true;
            } catch (IOException notYet) {
                // the probe's own timeout paces this loop
                if (!process.isAlive()) {
                    break;
                }
            }
        }
        return false;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it stops the process
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}
