package org.dispatchmail.it.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private Postfix instance as a receiving MX: its own configuration and queue in a temp folder,
 * one smtpd on address:port and nothing else listening, mail accepted for given domains only and
 * relayed to a given next hop (an {@link SmtpSink}). Optionally greylisting through
 * {@link PostgreyPeer} and STARTTLS with a given certificate.
 */
public final class PostfixPeer implements AutoCloseable {
    private static final String POSTFIX = "/usr/sbin/postfix";
    private static final String SCRIPT = "/usr/bin/script";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** Postfix's internal services, unchrooted (the queue is in a temp folder), and no inet service but ours. */
    private static final List<String> INTERNAL_SERVICES = List.of(
        "pickup unix n - n 60 1 pickup",
        "cleanup unix n - n - 0 cleanup",
        "qmgr unix n - n 300 1 qmgr",
        "tlsmgr unix - - n 1000? 1 tlsmgr",
        "rewrite unix - - n - - trivial-rewrite",
        "bounce unix - - n - 0 bounce",
        "defer unix - - n - 0 bounce",
        "trace unix - - n - 0 bounce",
        "verify unix - - n - 1 verify",
        "flush unix n - n 1000? 0 flush",
        "proxymap unix - - n - - proxymap",
        "proxywrite unix - - n - 1 proxymap",
        "smtp unix - - n - - smtp",
        "relay unix - - n - - smtp",
        "showq unix n - n - - showq",
        "error unix - - n - - error",
        "retry unix - - n - - error",
        "discard unix - - n - - discard",
        "anvil unix - - n - 1 anvil",
        "scache unix - - n - 1 scache",
        "postlog unix-dgram n - n - 1 postlogd");

    private final Path dir;
    private final String address;
    private final int port;
    private final PostgreyPeer postgrey;
    private final Thread stopOnExit;

    private PostfixPeer(Path dir, String address, int port, PostgreyPeer postgrey) {
        this.dir = dir;
        this.address = address;
        this.port = port;
        this.postgrey = postgrey;
        // Postfix runs as a daemon: if the test JVM ends early, stop it anyway
        this.stopOnExit = new Thread(this::stopQuietly, "postfix-stopper");
        Runtime.getRuntime().addShutdownHook(stopOnExit);
    }

    /** A Postfix that will listen on address:port (an address of 127.0.0.0/8 other than 127.0.0.1). */
    public static Builder builder(String address, int port) {
        return new Builder(address, port);
    }

    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    /** Postfix's log (maillog_file): connections, replies to refused commands, deliveries to the next hop. */
    public String logText() {
        try {
            return Files.readString(dir.resolve("maillog"));
        } catch (IOException e) {
            return "(no Postfix log: " + e.getMessage() + ")";
        }
    }

    /** What postgrey decided so far (see {@link PostgreyPeer#decisions()}); fails if greylisting is off. */
    public List<Map<String, String>> greylistDecisions() {
        if (postgrey == null) {
            throw new IllegalStateException("this Postfix was started without greylisting");
        }
        return postgrey.decisions();
    }

    /** The postgrey log, or "" without greylisting. */
    public String postgreyLog() {
        return postgrey == null ? "" : postgrey.logText();
    }

    /** The Postfix log, and postgrey's if any: for failure messages. */
    public String describe() {
        return "Postfix on " + address + ":" + port + " log:\n" + logText()
            + (postgrey == null ? "" : "\npostgrey log:\n" + postgreyLog());
    }

    @Override
    public void close() throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(stopOnExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        stopQuietly();
        awaitClosed();
        if (postgrey != null) {
            postgrey.close();
        }
    }

    private void stopQuietly() {
        try {
            postfix("stop");
        } catch (IOException | InterruptedException | IllegalStateException e) {
            // not running, or already stopping
        }
    }

    private void awaitClosed() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(address, port), 200);
            } catch (IOException closed) {
                return;
            }
            Thread.sleep(100);
        }
    }

    /** Runs "postfix -c DIR command"; fatal errors are printed only to a terminal, hence script(1) when present. */
    private String postfix(String command) throws IOException, InterruptedException {
        String line = POSTFIX + " -c " + dir.resolve("etc") + " " + command;
        ProcessBuilder builder = Files.isExecutable(Path.of(SCRIPT))
            ? new ProcessBuilder(SCRIPT, "-qec", line, "/dev/null")
            : new ProcessBuilder("/bin/sh", "-c", line);
        Process process = builder.redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(line + " did not finish within 60 s:\n" + output);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(line + " failed (" + process.exitValue() + "):\n" + output + "\n" + logText());
        }
        return output;
    }

    public static final class Builder {
        private final String address;
        private final int port;
        private String hostName = "mx.postfix.test";
        private final List<String> domains = new ArrayList<>();
        private String nextHop;
        private String postgreyAddress;
        private int postgreyPort;
        private Duration greylistDelay;
        private TestCertificates.ServerCertificate certificate;

        private Builder(String address, int port) {
            this.address = address;
            this.port = port;
        }

        /** Its myhostname, in the greeting and EHLO reply. */
        public Builder hostName(String name) {
            this.hostName = name;
            return this;
        }

        /** Domains it takes mail for (relay_domains); every other recipient gets 554 5.7.1 Relay access denied. */
        public Builder acceptDomains(String... names) {
            domains.addAll(List.of(names));
            return this;
        }

        /** Where accepted mail goes: SMTP to [host]:port, no MX lookup. */
        public Builder relayTo(String host, int relayPort) {
            this.nextHop = "[" + host + "]:" + relayPort;
            return this;
        }

        /** Greylisting with postgrey on address:port, deferring every new triplet for delay. */
        public Builder greylisting(String policyAddress, int policyPort, Duration delay) {
            this.postgreyAddress = policyAddress;
            this.postgreyPort = policyPort;
            this.greylistDelay = delay;
            return this;
        }

        /** STARTTLS offered (smtpd_tls_security_level=may) with this certificate. */
        public Builder tls(TestCertificates.ServerCertificate serverCertificate) {
            this.certificate = serverCertificate;
            return this;
        }

        /** Writes the instance, starts postgrey (if asked) and Postfix, and waits until smtpd accepts connections. */
        public PostfixPeer start() throws IOException, InterruptedException {
            if (!Files.isExecutable(Path.of(POSTFIX))) {
                throw new IllegalStateException(POSTFIX + " is missing: install Debian's postfix package (.ci/run does)");
            }
            if (domains.isEmpty() || nextHop == null) {
                throw new IllegalStateException("a PostfixPeer needs acceptDomains(...) and relayTo(...)");
            }
            Path dir = Files.createTempDirectory("postfix-peer-");
            // the postfix user must traverse it to reach its queue
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path etc = Files.createDirectories(dir.resolve("etc"));
            Path queue = Files.createDirectories(dir.resolve("queue"));
            Path data = Files.createDirectories(dir.resolve("data"));
            UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
            Files.setOwner(data, users.lookupPrincipalByName("postfix"));
            Files.setPosixFilePermissions(queue, PosixFilePermissions.fromString("rwxr-xr-x"));

            PostgreyPeer postgrey = greylistDelay == null ? null
                : PostgreyPeer.start(postgreyAddress, postgreyPort, greylistDelay);
            List<String> main = new ArrayList<>(List.of(
                "compatibility_level = 3.6",
                "queue_directory = " + queue,
                "data_directory = " + data,
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = " + hostName,
                "mydestination =",
                "inet_interfaces = loopback-only",
                "inet_protocols = ipv4",
                "relay_domains = " + String.join(", ", domains),
                "transport_maps = texthash:" + etc.resolve("transport"),
                "smtpd_relay_restrictions = reject_unauth_destination",
                "smtpd_recipient_restrictions = reject_unauth_destination"
                    + (postgrey == null ? "" : ", check_policy_service " + postgrey.policyService()),
                "smtpd_peername_lookup = no",
                "smtpd_banner = $myhostname ESMTP",
                "maillog_file = " + dir.resolve("maillog"),
                "maillog_file_prefixes = " + dir,
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =",
                "biff = no",
                "delay_warning_time = 0",
                "smtp_tls_security_level = none"));
            if (certificate != null) {
                main.add("smtpd_tls_cert_file = " + certificate.certificate());
                main.add("smtpd_tls_key_file = " + certificate.key());
                main.add("smtpd_tls_security_level = may");
                main.add("smtpd_tls_loglevel = 1");
            }
            Files.write(etc.resolve("main.cf"), main);
            List<String> transport = new ArrayList<>();
            for (String domain : domains) {
                transport.add(domain + " relay:" + nextHop);
            }
            Files.write(etc.resolve("transport"), transport);
            List<String> master = new ArrayList<>();
            master.add(address + ":" + port + " inet n - n - - smtpd");
            master.addAll(INTERNAL_SERVICES);
            Files.write(etc.resolve("master.cf"), master);

            PostfixPeer peer = new PostfixPeer(dir, address, port, postgrey);
            try {
                peer.postfix("start");
                PortWait.until(address, port, START_TIMEOUT, null, peer::describe);
            } catch (IOException | RuntimeException e) {
                peer.close();
                throw e;
            }
            return peer;
        }
    }
}
