package org.dispatchmail.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A smart host as a provider runs one: Python's aiosmtpd (Debian's python3-aiosmtpd) on a loopback
 * address, TLS and AUTH PLAIN/LOGIN required for one user, either STARTTLS on a submission-style
 * port or implicit TLS on a 465-style port. Every message it accepts is stored with its envelope
 * and the login that sent it; {@link #messages()} reads them back.
 */
public final class SmartHostPeer implements AutoCloseable {
    /** Debian's interpreter, which has Debian's python3-aiosmtpd (another python3 on PATH may not). */
    private static final String PYTHON = "/usr/bin/python3";
    private static final String SCRIPT = "peers/smarthost.py";

    /** How the client gets TLS. */
    public enum Mode {
        STARTTLS, IMPLICIT_TLS
    }

    private final Process process;
    private final Path store;
    private final Path log;
    private final String address;
    private final int port;

    private SmartHostPeer(Process process, Path store, Path log, String address, int port) {
        this.process = process;
        this.store = store;
        this.log = log;
        this.address = address;
        this.port = port;
    }

    public static SmartHostPeer start(String address, int port, Mode mode, TestCertificates.ServerCertificate certificate,
                                      String user, String password) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new IllegalStateException(PYTHON + " is missing: install Debian's python3-aiosmtpd package (.ci/run does)");
        }
        Path dir = Files.createTempDirectory("smart-host-");
        Path script = dir.resolve("smarthost.py");
        try (InputStream in = SmartHostPeer.class.getClassLoader().getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is not on the test class path");
            }
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path store = Files.createDirectories(dir.resolve("mail"));
        Path log = dir.resolve("smarthost.log");
        Process process = new ProcessBuilder(PYTHON, script.toString(), address, String.valueOf(port),
            certificate.certificate().toString(), certificate.key().toString(), user, password, store.toString(),
            mode == Mode.STARTTLS ? "starttls" : "implicit")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SmartHostPeer peer = new SmartHostPeer(process, store, log, address, port);
        PortWait.until(address, port, Duration.ofSeconds(20), process,
            () -> "the aiosmtpd smart host did not start on " + address + ":" + port + ":\n" + peer.logText());
        return peer;
    }

    public String address() {
        return address;
    }

    public int port() {
        return port;
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(smart host log unreadable: " + e + ")";
        }
    }

    /** Every message accepted so far, in the order received. */
    public List<Received> messages() throws IOException {
        List<Received> messages = new ArrayList<>();
        List<Path> envelopes;
        try (Stream<Path> files = Files.list(store)) {
            envelopes = files.filter(file -> file.getFileName().toString().endsWith(".env")).sorted()
                .collect(Collectors.toList());
        }
        for (Path envelope : envelopes) {
            String name = envelope.getFileName().toString();
            Path content = envelope.resolveSibling(name.substring(0, name.length() - ".env".length()) + ".eml");
            messages.add(Received.parse(Files.readAllLines(envelope, StandardCharsets.UTF_8),
                new String(Files.readAllBytes(content), StandardCharsets.UTF_8)));
        }
        return messages;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** One accepted message: its envelope, the AUTH login that sent it, whether TLS was on, and its content. */
    public static final class Received {
        private String mailFrom = "";
        private String mailOptions = "";
        private final List<String> recipients = new ArrayList<>();
        private String login = "";
        private boolean tls;
        private String helo = "";
        private String content;

        static Received parse(List<String> lines, String content) {
            Received received = new Received();
            received.content = content;
            for (String line : lines) {
                int colon = line.indexOf(": ");
                String key = colon < 0 ? line.replace(":", "") : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 2);
                switch (key) {
                    case "mail_from":
                        received.mailFrom = value;
                        break;
                    case "mail_options":
                        received.mailOptions = value;
                        break;
                    case "rcpt_to":
                        received.recipients.add(value);
                        break;
                    case "login":
                        received.login = value;
                        break;
                    case "tls":
                        received.tls = "yes".equals(value);
                        break;
                    case "helo":
                        received.helo = value;
                        break;
                    default:
                        break;
                }
            }
            return received;
        }

        public String mailFrom() {
            return mailFrom;
        }

        /** MAIL FROM parameters as sent, e.g. "SIZE=123 BODY=8BITMIME". */
        public String mailOptions() {
            return mailOptions;
        }

        public List<String> recipients() {
            return recipients;
        }

        /** The AUTH login of the session, "" if none. */
        public String login() {
            return login;
        }

        public boolean tls() {
            return tls;
        }

        public String helo() {
            return helo;
        }

        public String content() {
            return content;
        }
    }
}
