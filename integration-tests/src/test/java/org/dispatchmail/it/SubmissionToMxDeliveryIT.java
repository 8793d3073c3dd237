package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;


/**
 * End to end: a message submitted to James on the submission port is queued in Cassandra by
 * Dispatch, routed by the MX record a real DNS server gives, and delivered to a real SMTP receiver.
 */
@ExtendWith(CassandraExtension.class)
class SubmissionToMxDeliveryIT {
    private static final String KEYSPACE = "e2e_delivery";
    private static final String MX_ADDRESS = "127.0.0.25";

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.sink.test"));
        dns = rig.dns(List.of("--mx-host=sink.test,mx.sink.test,10",
            "--host-record=mx.sink.test," + MX_ADDRESS, "--mx-host=null.test,.,0"));
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.example.com",
            "queue.pollInterval", "200ms"));
        node.admin("add-domain", "example.com");
        node.adminWithInput("correct horse battery\n", "add-user", "alice@example.com");
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void everyShippedListenerAnswersEhloWithItsTlsAndAuthSettings() throws Exception {
        for (int port : List.of(25, 587, 2587, 2525, 465, 2465)) {
            boolean implicitTls = port == 465 || port == 2465;
            List<String> lines;
            try (RawSmtpSession session = RawSmtpSession.open(node.port(port), implicitTls)) {
                assertThat(session.greeting().get(0)).as("greeting on %d", port).startsWith("220 ");
                lines = session.send("EHLO probe.test");
            }
            assertThat(lines).as("EHLO on %d", port).allMatch(line -> line.startsWith("250"))
                .as("message size limit advertised on %d", port).anyMatch(line -> line.substring(4).equals("SIZE 52428800"));
            if (implicitTls) {
                assertThat(lines).as("EHLO on %d", port).anyMatch(line -> line.contains("AUTH"));
            } else {
                // STARTTLS offered everywhere; AUTH never on the MX port, and on submission only after STARTTLS
                assertThat(lines).as("EHLO on %d", port).anyMatch(line -> line.contains("STARTTLS"))
                    .noneMatch(line -> line.contains("AUTH"));
            }
        }
    }

    @Test
    void theNodeRegisteredTheNativeCryptoProviderAndItsTlsStillServesSubmission() throws Exception {
        // the default crypto.provider = native: on linux-x86_64 the provider loads, so the line says it is in use
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Files.readString(node.jamesLog()))
            .contains("crypto.provider = native: RSA signing and TLS primitives use AmazonCorrettoCryptoProvider"));
        for (int port : List.of(587, 465)) {
            boolean implicitTls = port == 465;
            try (RawSmtpSession session = RawSmtpSession.open(node.port(port), implicitTls)) {
                session.send("EHLO client.test");
                if (!implicitTls) {
                    session.startTls();
                    session.send("EHLO client.test");
                }
                assertThat(session.sendForFirstLine("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                    "\0alice@example.com\0correct horse battery".getBytes(StandardCharsets.UTF_8))))
                    .as("port %d", port).startsWith("235 ");
            }
        }
    }

    @Test
    void authIsRefusedOnACleartextChannelAndNeverOfferedOnTheMxPort() throws Exception {
        String plain = "AUTH PLAIN " + Base64.getEncoder().encodeToString(
            "\0alice@example.com\0correct horse battery".getBytes(StandardCharsets.UTF_8));
        for (int port : List.of(587, 2587, 2525)) {
            try (RawSmtpSession session = RawSmtpSession.open(node.port(port), false)) {
                session.send("EHLO client.test");
                assertThat(session.sendForFirstLine(plain)).as("port %d", port)
                    .isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism");
                assertThat(session.sendForFirstLine("AUTH LOGIN")).as("port %d", port)
                    .isEqualTo("538 5.7.11 Encryption required for requested authentication mechanism");
            }
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(25), false)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine(plain)).startsWith("503 5.5.1 ");
            session.startTls();
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine(plain)).startsWith("503 5.5.1 ");
        }
    }

    @Test
    void mailFromBeforeAuthIsRefusedOnSubmissionPorts() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(587), false)) {
            session.send("EHLO client.test");
            session.startTls();
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>"))
                .isEqualTo("530 5.7.0 Authentication required");
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>"))
                .isEqualTo("530 5.7.0 Authentication required");
        }
    }

    @Test
    void theMxPortTakesMailForLocalDomainsAndNeverRelays() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(25), false)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("MAIL FROM:<someone@elsewhere.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<alice@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@sink.test>")).startsWith("5");
        }
    }

    @Test
    void recipientDomainsThatCannotTakeMailAreRefusedAtRcpt() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                "\0alice@example.com\0correct horse battery".getBytes(StandardCharsets.UTF_8)))).startsWith("235");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@nowhere.test>"))
                .isEqualTo("550 5.1.2 Recipient domain nowhere.test does not exist or has no mail server");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@null.test>"))
                .isEqualTo("556 5.1.10 Recipient domain null.test accepts no mail (null MX)");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@sink.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<alice@example.com>")).as("local domains are not looked up").startsWith("250");
        }
    }

    @Test
    void submittedMailWithoutDateOrMessageIdGetsBoth() throws Exception {
        String token = UUID.randomUUID().toString();
        Submission.send(node.port(587), "alice@example.com", "correct horse battery",
            "alice@example.com", "bob@sink.test", "From: alice@example.com\r\nTo: bob@sink.test\r\nSubject: bare "
                + token + "\r\n\r\nNo Date, no Message-ID.\r\n");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> sink.messages().stream().anyMatch(message -> message.contains(token)));
        String received = sink.messages().stream().filter(message -> message.contains(token)).findFirst().orElseThrow();
        assertThat(received).containsPattern("(?m)^Date: \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}$");
        assertThat(received).containsPattern("(?m)^Message-ID: <[0-9a-f-]{36}@[^>]+>$");
    }

    @Test
    void submittedMailReachesTheMxAndItsStateSaysDelivered(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String reply = Submission.send(node.port(587), "alice@example.com", "correct horse battery",
            "alice@example.com", "bob@sink.test",
            "From: Alice <alice@example.com>\r\nTo: bob@sink.test\r\nSubject: e2e " + token + "\r\n\r\nHello Bob.\r\n");
        assertThat(reply).startsWith("250");

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> sink.messages().stream().anyMatch(message -> message.contains(token)));
        String received = sink.messages().stream().filter(message -> message.contains(token)).findFirst().orElseThrow();
        assertThat(received).contains("alice@example.com").contains("bob@sink.test").contains("Hello Bob.");

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> queue.recipients("bob@sink.test").stream()
                .anyMatch(record -> record.state() == RecipientState.DELIVERED));
            RecipientRecord state = queue.recipients("bob@sink.test").get(0);
            assertThat(state.state()).isEqualTo(RecipientState.DELIVERED);
            assertThat(state.attempts()).isEqualTo(1);
            List<AttemptHistoryEntry> attempts = queue.attempts(state);
            assertThat(attempts).hasSize(1);
            assertThat(attempts.get(0).host()).contains("mx.sink.test");
            assertThat(attempts.get(0).address()).contains(MX_ADDRESS);
            assertThat(attempts.get(0).replyCode()).contains(250);
            assertThat(attempts.get(0).decision()).isEqualTo("DELIVERED");
        }
    }
}
