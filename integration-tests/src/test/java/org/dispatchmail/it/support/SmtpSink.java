package org.dispatchmail.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real SMTP receiver: Postfix's smtp-sink on a loopback address, writing every transaction it
 * accepts to a file of its own.
 */
public final class SmtpSink implements AutoCloseable {
    private static final String SMTP_SINK = "/usr/sbin/smtp-sink";

    private final Process process;
    private final Path dumpDir;
    private final Path log;
    private final String address;
    private final int port;

    private SmtpSink(Process process, Path dumpDir, Path log, String address, int port) {
        this.process = process;
        this.dumpDir = dumpDir;
        this.log = log;
        this.address = address;
        this.port = port;
    }

    /** Starts smtp-sink on address:port and waits until it accepts connections. */
    public static SmtpSink start(String address, int port, String hostName) throws IOException, InterruptedException {
        return start(address, port, hostName, List.of());
    }

    /**
     * The same with more smtp-sink options (see smtp-sink(1)), e.g. "-w", "1" to wait a second
     * before answering DATA, or "-r", "RCPT" to answer every RCPT with a 4xx.
     */
    public static SmtpSink start(String address, int port, String hostName, List<String> options)
        throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(SMTP_SINK))) {
            throw new IllegalStateException(SMTP_SINK + " is missing: install Debian's postfix package (.ci/run does)");
        }
        Path dir = Files.createTempDirectory("smtp-sink-");
        Path dumpDir = dir.resolve("mail");
        Files.createDirectories(dumpDir);
        // smtp-sink drops root for 'nobody', which must be able to write the dumps.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dumpDir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path log = dir.resolve("smtp-sink.log");
        List<String> command = new ArrayList<>(List.of(SMTP_SINK, "-u", "nobody", "-h", hostName,
            "-d", dumpDir + "/%Y%m%d%H%M%S."));
        command.addAll(options);
        command.add(address + ":" + port);
        command.add("100");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        SmtpSink sink = new SmtpSink(process, dumpDir, log, address, port);
        PortWait.until(address, port, java.time.Duration.ofSeconds(10), process,
            () -> "smtp-sink did not start: " + sink.logText());
        return sink;
    }

    public String address() {
        return address;
    }

    /** The folder where smtp-sink writes one file per transaction, as it receives it. */
    public Path dumpDir() {
        return dumpDir;
    }

    public int port() {
        return port;
    }

    /** Every transaction received so far, as smtp-sink dumped it (envelope lines, then the message). */
    public List<String> messages() throws IOException {
        List<String> messages = new ArrayList<>();
        try (Stream<Path> files = Files.list(dumpDir)) {
            for (Path file : files.sorted().collect(Collectors.toList())) {
                messages.add(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
            }
        }
        return messages;
    }

    /** The transactions received so far whose dump contains the text (a test's token, say). */
    public List<String> messagesWith(String text) throws IOException {
        List<String> found = new ArrayList<>();
        for (String message : messages()) {
            if (message.contains(text)) {
                found.add(message);
            }
        }
        return found;
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
