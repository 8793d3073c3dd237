package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.DnsDkimVerifier;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.dispatchmail.it.support.ZoneLines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Twenty 50 MiB messages (the shipped size limit) submitted at once to a node whose James has the
 * launcher's default heap, -Xmx1g: together they are as large as the heap, so a single whole copy of each
 * in flight would exhaust it. Each is journaled, DKIM-signed, queued and delivered as a stream; every one
 * is answered 250 (after a 451 when a Cassandra write timed out, sent again as a client would), arrives
 * whole (its body's SHA-256) and carries signatures an independent verifier accepts.
 */
@ExtendWith(CassandraExtension.class)
class LargeMessagesIT {
    private static final String MX_ADDRESS = "127.0.0.62";
    private static final List<String> MX_RECORDS = List.of("--mx-host=large.test,mx.large.test,10",
        "--host-record=mx.large.test," + MX_ADDRESS);
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "large messages pass";
    private static final int MESSAGES = 20;
    /** The message's size: 50 MiB less a little room for the header fields Dispatch and James add. */
    private static final long MESSAGE_BYTES = 50L * 1024 * 1024 - 16 * 1024;
    private static final String LAUNCHER_DEFAULT_HEAP = "-Xms256m -Xmx1g";

    /** 451 answers a submission got before it was accepted. */
    private final AtomicInteger temporaryRefusals = new AtomicInteger();
    private DeliveryRig rig;
    private DnsmasqServer dns;
    private SmtpSink sink;
    private DispatchNode node;

    @AfterEach
    void stop() throws Exception {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void twentyConcurrent50MiBSubmissionsAreAcceptedSignedAndDeliveredWithTheDefaultHeap(EmbeddedCassandra cassandra)
        throws Exception {
        rig = new DeliveryRig(cassandra, "large_it");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.large.test"));
        dns = rig.dns(MX_RECORDS);
        node = rig.node(Map.of(
            "queue.pollInterval", "200ms",
            "submission.maxMessagesPerHour", "0",
            "submission.maxRecipientsPerHour", "0"), LAUNCHER_DEFAULT_HEAP);
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", USER);
        publishDkimKeys();

        List<String> replies = submitAll();

        assertThat(replies).hasSize(MESSAGES).allMatch(reply -> reply.startsWith("250"));
        System.out.println("[LargeMessagesIT] 451 answers before acceptance: " + temporaryRefusals.get());
        await("every large message at the receiver").atMost(Duration.ofMinutes(8)).pollInterval(Duration.ofSeconds(2))
            .until(() -> dumps().size() == MESSAGES && dumps().stream().allMatch(LargeMessagesIT::complete));
        List<String> seen = new ArrayList<>();
        for (Path dump : dumps()) {
            Received received = Received.read(dump);
            assertThat(received.bodySha256).as("body of " + received.index)
                .isEqualTo(expectedBodySha256(received.index));
            seen.add(received.index);
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(indexes());
        List<String> results = DnsDkimVerifier.verify(DnsDkimVerifier.fromSinkDump(Files.readString(dumps().get(0),
            StandardCharsets.UTF_8)), "127.0.0.1", dns.port());
        assertThat(results).hasSize(2).allMatch(line -> line.startsWith("pass example.com "));
        assertThat(node.jamesLog()).content().doesNotContain("OutOfMemoryError");
    }

    private void publishDkimKeys() throws Exception {
        node.admin("dkim", "generate", "example.com");
        List<String> records = new ArrayList<>(MX_RECORDS);
        records.addAll(ZoneLines.dnsmasqTxtRecords(node.admin("dkim", "dns", "example.com")));
        dns = rig.restartDns(records);
        assertThat(node.admin("dkim", "check")).contains("Activated");
    }

    /** Logs every session in first (AUTH per client address is capped), then sends all the messages at once. */
    private List<String> submitAll() throws Exception {
        List<SubmissionSession> sessions = new ArrayList<>();
        ExecutorService submitters = Executors.newFixedThreadPool(MESSAGES);
        try {
            for (int i = 0; i < MESSAGES; i++) {
                // RFC 5321 4.5.3.2.6: a client waits 10 minutes for the reply to the end of the data
                sessions.add(SubmissionSession.open(node.port(587), USER, PASSWORD, Duration.ofMinutes(10)));
            }
            List<Future<String>> sent = new ArrayList<>();
            List<String> indexes = indexes();
            for (int i = 0; i < MESSAGES; i++) {
                SubmissionSession session = sessions.get(i);
                String index = indexes.get(i);
                sent.add(submitters.submit(() -> sendUntilAccepted(session, index)));
            }
            List<String> replies = new ArrayList<>();
            for (Future<String> reply : sent) {
                replies.add(reply.get(10, TimeUnit.MINUTES));
            }
            return replies;
        } finally {
            submitters.shutdownNow();
            for (SubmissionSession session : sessions) {
                session.close();
            }
        }
    }

    /**
     * Sends as an SMTP client does: a 451 (a Cassandra write that timed out while a gigabyte is being written on
     * this small machine; nothing was accepted) is tried again, at most four more times, after a pause.
     */
    private String sendUntilAccepted(SubmissionSession session, String index) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return session.send(USER, List.of("rcpt@large.test"), data -> writeMessage(index, data));
            } catch (IOException refused) {
                if (attempt == 5 || !String.valueOf(refused.getMessage()).contains(" 451 ")) {
                    throw refused;
                }
                temporaryRefusals.incrementAndGet();
                Thread.sleep(5_000);
            }
        }
    }

    private static List<String> indexes() {
        List<String> indexes = new ArrayList<>();
        for (int i = 0; i < MESSAGES; i++) {
            indexes.add(String.format("m%02d", i));
        }
        return indexes;
    }

    private static String header(String index) {
        return "From: Alice <alice@example.com>\r\nTo: rcpt@large.test\r\nSubject: large " + index
            + "\r\nMessage-ID: <large-" + index + "@example.com>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\n";
    }

    /** Line {@code n} of a message's body, without its line ending: 78 characters, different in every message. */
    private static String bodyLine(String index, long n) {
        return String.format("%s %09d the quick brown fox jumps over the lazy dog, again and again.", index, n);
    }

    private static long bodyLines(String index) {
        long lineBytes = bodyLine(index, 0).length() + 2;
        return (MESSAGE_BYTES - header(index).length()) / lineBytes;
    }

    private static void writeMessage(String index, Writer data) throws IOException {
        data.write(header(index));
        for (long n = 0; n < bodyLines(index); n++) {
            data.write(bodyLine(index, n));
            data.write("\r\n");
        }
    }

    /** smtp-sink writes LF line endings: the body as it dumps it. */
    private static String expectedBodySha256(String index) throws Exception {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        for (long n = 0; n < bodyLines(index); n++) {
            sha256.update((bodyLine(index, n) + "\n").getBytes(StandardCharsets.US_ASCII));
        }
        return hex(sha256.digest());
    }

    private List<Path> dumps() throws IOException {
        try (Stream<Path> files = Files.list(sink.dumpDir())) {
            return files.sorted().collect(Collectors.toList());
        }
    }

    /** smtp-sink writes a dump while it receives; a complete one ends with the last body line. */
    private static boolean complete(Path dump) {
        try (RandomAccessFile file = new RandomAccessFile(dump.toFile(), "r")) {
            // the dump has LF line ends where the message had CRLF
            if (file.length() < MESSAGE_BYTES - bodyLines("m00") - 64 * 1024) {
                return false;
            }
            byte[] tail = new byte[200];
            file.seek(file.length() - tail.length);
            file.readFully(tail);
            // smtp-sink ends its dump with an empty line of its own
            return new String(tail, StandardCharsets.US_ASCII).stripTrailing().endsWith("again and again.");
        } catch (IOException e) {
            return false;
        }
    }

    /** A dump read as a stream: its Subject's index and its body's SHA-256. */
    private static final class Received {
        final String index;
        final String bodySha256;

        private Received(String index, String bodySha256) {
            this.index = index;
            this.bodySha256 = bodySha256;
        }

        static Received read(Path dump) throws Exception {
            String index = null;
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            boolean inBody = false;
            // empty lines count only when more text follows: smtp-sink ends its dump with one of its own
            int emptyLines = 0;
            try (BufferedReader lines = Files.newBufferedReader(dump, StandardCharsets.US_ASCII)) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (inBody && line.isEmpty()) {
                        emptyLines++;
                    } else if (inBody) {
                        for (; emptyLines > 0; emptyLines--) {
                            sha256.update((byte) '\n');
                        }
                        sha256.update((line + "\n").getBytes(StandardCharsets.US_ASCII));
                    } else if (line.isEmpty()) {
                        inBody = true;
                    } else if (line.startsWith("Subject: large ")) {
                        index = line.substring("Subject: large ".length());
                    }
                }
            }
            return new Received(index, hex(sha256.digest()));
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(String.format("%02x", b));
        }
        return text.toString();
    }
}
