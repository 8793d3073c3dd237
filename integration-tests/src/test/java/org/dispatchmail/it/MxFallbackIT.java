package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.MisbehavingPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MX preference and failure handling end to end: a domain whose first MX refuses at the greeting, or
 * where nothing listens, is delivered through its second MX; a 451 at RCPT from the only MX is retried
 * on retry.schedule until the server takes the mail; a 550 at RCPT bounces at once, and the sender
 * (whose domain is remote) gets the failure report through its own MX.
 */
@ExtendWith(CassandraExtension.class)
class MxFallbackIT {
    private static final String KEYSPACE = "e2e_mx_fallback";
    private static final String LOGIN = "alice@sender.test";
    private static final String PASSWORD = "fallback-pass-1-long";
    private static final String REPORT_MX = "127.0.0.70";
    private static final String REFUSING_MX = "127.0.0.71";
    private static final String GOOD_MX = "127.0.0.72";
    private static final String SILENT_MX = "127.0.0.73";
    private static final String DEFERRING_MX = "127.0.0.74";
    private static final String REJECTING_MX = "127.0.0.75";
    /** retry.schedule of this node: every temporary failure is retried after 5 s (plus up to 10% jitter). */
    private static final Duration RETRY = Duration.ofSeconds(5);

    private static int mxPort;
    private static DeliveryRig rig;
    private static SmtpSink reportSink;
    private static SmtpSink goodSink;
    private static GreetingRefuser refuser;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        mxPort = rig.remotePort();
        reportSink = rig.peer(SmtpSink.start(REPORT_MX, mxPort, "mx.sender.test"));
        goodSink = rig.peer(SmtpSink.start(GOOD_MX, mxPort, "mx2.fallback.test"));
        refuser = rig.peer(new GreetingRefuser(REFUSING_MX, mxPort));
        dns = rig.dns(List.of(
            "--mx-host=sender.test,mx.sender.test,10", "--host-record=mx.sender.test," + REPORT_MX,
            "--mx-host=fallback.test,mx1.fallback.test,10", "--mx-host=fallback.test,mx2.fallback.test,20",
            "--host-record=mx1.fallback.test," + REFUSING_MX, "--host-record=mx2.fallback.test," + GOOD_MX,
            "--mx-host=dead.test,mx1.dead.test,10", "--mx-host=dead.test,mx2.fallback.test,20",
            "--host-record=mx1.dead.test," + SILENT_MX,
            "--mx-host=deferring.test,mx.deferring.test,10", "--host-record=mx.deferring.test," + DEFERRING_MX,
            "--mx-host=rejecting.test,mx.rejecting.test,10", "--host-record=mx.rejecting.test," + REJECTING_MX));
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.example.com",
            "queue.pollInterval", "200ms",
            "retry.schedule", RETRY.toSeconds() + "s",
            // a server that is restarted (below) is not skipped for long if an attempt falls in the gap
            "delivery.deadHostTime", "1s"));
        node.adminWithInput(PASSWORD + "\n", "submission", "add", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void aFirstMxThatRefusesAtTheGreetingIsPassedOverForTheSecond(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@fallback.test";
        int contactsBefore = refuser.connections();
        submit(recipient, token);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord state = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(60));
            assertThat(state.attempts()).isEqualTo(1);
            List<AttemptHistoryEntry> attempts = queue.attempts(state);
            assertThat(attempts).hasSize(1);
            assertThat(attempts.get(0).host()).hasValue("mx2.fallback.test");
            assertThat(attempts.get(0).address()).hasValue(GOOD_MX);
            assertThat(attempts.get(0).replyCode()).hasValue(250);
            assertThat(attempts.get(0).decision()).isEqualTo("DELIVERED");
        }
        assertThat(refuser.connections()).as("the preference 10 MX was tried first").isGreaterThan(contactsBefore);
        assertThat(goodSink.messagesWith(token)).hasSize(1).first().asString()
            .contains("X-Rcpt-Args: <" + recipient + ">");
    }

    @Test
    void aFirstMxWhereNothingListensIsPassedOverForTheSecond(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@dead.test";
        submit(recipient, token);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord state = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(state);
            assertThat(attempts).hasSize(1);
            assertThat(attempts.get(0).host()).hasValue("mx2.fallback.test");
            assertThat(attempts.get(0).address()).hasValue(GOOD_MX);
        }
        assertThat(goodSink.messagesWith(token)).hasSize(1);
        // the refused connection was noticed, and the address is skipped for a while (delivery.deadHostTime)
        assertThat(Files.readString(node.jamesLog()))
            .contains("mx1.dead.test[" + SILENT_MX + "]:" + mxPort + ": cannot connect");
    }

    @Test
    void a451AtRcptIsRetriedOnTheScheduleUntilTheServerTakesTheMail(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@deferring.test";
        // a temporary failure that is not greylisting, so retry.schedule applies (not the greylisting probes)
        SmtpSink deferring = MisbehavingPeer.tempFailsAtRcpt(DEFERRING_MX, mxPort, "451 4.3.0 Temporary local problem");
        SmtpSink recovered = null;
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            submit(recipient, token);
            RecipientRecord deferred = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DEFERRED
                && r.attempts() >= 2, Duration.ofSeconds(60));
            assertThat(deferred.greylistAttempts()).isZero();
            List<AttemptHistoryEntry> attempts = queue.attempts(deferred);
            assertThat(attempts.size()).isGreaterThanOrEqualTo(2);
            for (AttemptHistoryEntry attempt : attempts) {
                assertThat(attempt.host()).hasValue("mx.deferring.test");
                assertThat(attempt.stage()).isEqualTo("rcpt");
                assertThat(attempt.replyCode()).hasValue(451);
                assertThat(attempt.enhancedCode()).hasValue("4.3.0");
                assertThat(attempt.decision()).isEqualTo("DEFERRED");
                Duration delay = Duration.between(attempt.attemptedAt(), attempt.nextAttemptAt().orElseThrow());
                assertThat(delay).as("retry.schedule 5s with up to 10%% jitter")
                    .isBetween(RETRY, RETRY.plusMillis(RETRY.toMillis() / 10 + 50));
            }
            Instant firstRetryDue = attempts.get(0).nextAttemptAt().orElseThrow();
            Instant secondAttempt = attempts.get(1).attemptedAt();
            assertThat(secondAttempt).as("not before it was due").isAfterOrEqualTo(firstRetryDue);
            assertThat(Duration.between(firstRetryDue, secondAttempt)).as("soon after it was due")
                .isLessThan(Duration.ofSeconds(5));
            assertThat(deferring.messagesWith(token)).isEmpty();

            // the server recovers (same address and port): the next retry delivers, once
            deferring.close();
            deferring = null;
            recovered = SmtpSink.start(DEFERRING_MX, mxPort, "mx.deferring.test");
            RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> all = queue.attempts(delivered);
            assertThat(all.get(all.size() - 1).replyCode()).hasValue(250);
            assertThat(all.subList(0, all.size() - 1)).allMatch(attempt -> "DEFERRED".equals(attempt.decision()));
            assertThat(delivered.attempts()).isEqualTo(all.size());
            SmtpSink receiver = recovered;
            assertThat(receiver.messagesWith(token)).hasSize(1);
        } finally {
            if (deferring != null) {
                deferring.close();
            }
            if (recovered != null) {
                recovered.close();
            }
        }
    }

    @Test
    void a550AtRcptBouncesAtOnceAndTheSenderGetsAFailureReport(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "erin-" + token.substring(0, 8) + "@rejecting.test";
        try (SmtpSink rejecting = MisbehavingPeer.rejectsAtRcpt(REJECTING_MX, mxPort, "550 5.1.1 No such user here");
             QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            submit(recipient, token);
            RecipientRecord bounced = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.BOUNCED,
                Duration.ofSeconds(60));
            assertThat(bounced.attempts()).isEqualTo(1);
            List<AttemptHistoryEntry> attempts = queue.attempts(bounced);
            assertThat(attempts).hasSize(1);
            AttemptHistoryEntry attempt = attempts.get(0);
            assertThat(attempt.host()).hasValue("mx.rejecting.test");
            assertThat(attempt.stage()).isEqualTo("rcpt");
            assertThat(attempt.replyCode()).hasValue(550);
            assertThat(attempt.enhancedCode()).hasValue("5.1.1");
            assertThat(attempt.text().orElseThrow()).contains("No such user here");
            assertThat(attempt.decision()).isEqualTo("BOUNCED");
            assertThat(attempt.nextAttemptAt()).isEmpty();
            assertThat(rejecting.messagesWith(token)).isEmpty();
        }
        String report = awaitMessage(reportSink, recipient, Duration.ofSeconds(60));
        assertThat(report).contains("X-Mail-Args: <>").contains("X-Rcpt-Args: <" + LOGIN + ">")
            .contains("multipart/report").contains("report-type=delivery-status")
            .containsIgnoringCase("Final-Recipient: rfc822; " + recipient)
            .contains("Action: failed").contains("Status: 5.1.1")
            .contains("550 5.1.1 No such user here").contains(token);
    }

    private static void submit(String recipient, String token) throws Exception {
        String reply = Submission.send(node.port(587), LOGIN, PASSWORD, LOGIN, recipient,
            "From: Alice <" + LOGIN + ">\r\nTo: " + recipient + "\r\nSubject: fallback " + token
                + "\r\n\r\nToken " + token + ".\r\n");
        assertThat(reply).startsWith("250");
    }

    private static String awaitMessage(SmtpSink sink, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> found = sink.messagesWith(text);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no message containing " + text + " reached " + sink.address() + " within " + timeout);
    }

    /** An SMTP server that answers every connection with a 421 greeting and hangs up; counts connections. */
    private static final class GreetingRefuser implements AutoCloseable {
        private final ServerSocket server;
        private final AtomicInteger connections = new AtomicInteger();

        GreetingRefuser(String address, int port) throws IOException {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            Thread acceptor = new Thread(this::serve, "greeting-refuser");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int connections() {
            return connections.get();
        }

        private void serve() {
            while (!server.isClosed()) {
                try (Socket client = server.accept()) {
                    connections.incrementAndGet();
                    OutputStream out = client.getOutputStream();
                    out.write("421 4.3.2 mx1.fallback.test Service not available, closing channel\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    // closed, or the client left first
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
