package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryReport;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.MisbehavingPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SaslClient;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;


/**
 * Delivery status notifications end to end: a message submitted to Dispatch fails at a real remote
 * MTA, and the RFC 3464 report Dispatch writes travels from the null sender back through James and
 * Dispatch to the MX of the sender's (remote) domain, where it is parsed. Covers a bounce with and
 * without the submission's DSN parameters, NOTIFY=NEVER, a delay warning and an expiry.
 */
@ExtendWith(CassandraExtension.class)
class DeliveryReportsIT {
    private static final String KEYSPACE = "e2e_reports";
    private static final String SENDER = "alice@sender.test";
    private static final String PASSWORD = "reports-pass-1-long";
    private static final String REJECT_REPLY = "550 5.1.1 No such user here";
    /** A temporary failure that is not greylisting, so retry.schedule applies. */
    private static final String DEFER_REPLY = "451 4.3.2 System not accepting network messages";
    private static final Duration MAX_LIFETIME = Duration.ofSeconds(45);

    private static DeliveryRig rig;
    private static SmtpSink reports;
    private static SmtpSink rejecting;
    private static SmtpSink deferring;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        // every remote MTA listens on the one delivery.remotePort, each on its own loopback address
        rig = new DeliveryRig(cassandra, KEYSPACE);
        int port = rig.remotePort();
        reports = rig.peer(SmtpSink.start("127.0.0.81", port, "mx.sender.test"));
        rejecting = rig.peer(MisbehavingPeer.rejectsAtRcpt("127.0.0.82", port, REJECT_REPLY));
        deferring = rig.peer(MisbehavingPeer.tempFailsAtRcpt("127.0.0.83", port, DEFER_REPLY));
        dns = rig.dns(List.of(
            "--mx-host=sender.test,mx.sender.test,10", "--host-record=mx.sender.test,127.0.0.81",
            "--mx-host=rejecting.test,mx.rejecting.test,10", "--host-record=mx.rejecting.test,127.0.0.82",
            "--mx-host=deferring.test,mx.deferring.test,10", "--host-record=mx.deferring.test,127.0.0.83"));
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.reports.test",
            "queue.pollInterval", "200ms",
            "retry.schedule", "5s",
            "retry.delayWarnings", "15s",
            "retry.maxLifetime", MAX_LIFETIME.getSeconds() + "s"));
        // the sender's domain is remote: its reports go out by MX like any other mail
        node.adminWithInput(PASSWORD + "\n", "submission", "add", SENDER);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void aRecipientRefusedAtRcptGetsTheSenderAFailureReportWithTheWholeMessage(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@rejecting.test";
        String subject = "bounce " + token;
        submit(recipient, subject);

        DeliveryReport report = awaitReports(token, 1).get(0);
        assertThat(report.envelopeSender()).as("reports come from the null sender").isEmpty();
        assertThat(report.envelopeRecipients()).containsExactly(SENDER);
        assertThat(report.message().getHeader("To", ",")).contains(SENDER);
        assertThat(report.contentType().getBaseType()).isEqualToIgnoringCase("multipart/report");
        assertThat(report.contentType().getParameter("report-type")).isEqualTo("delivery-status");
        assertThat(report.messageFields().get("reporting-mta")).isEqualTo("dns; dispatch.reports.test");
        assertThat(report.messageFields().get("arrival-date")).satisfies(DeliveryReportsIT::isRfc5322Date);
        assertThat(report.messageFields()).doesNotContainKey("original-envelope-id");
        assertThat(report.recipientFields()).hasSize(1);
        Map<String, String> fields = report.recipient(recipient);
        assertThat(fields.get("action")).isEqualTo("failed");
        assertThat(fields.get("status")).isEqualTo("5.1.1");
        assertThat(fields.get("remote-mta")).isEqualTo("dns; mx.rejecting.test");
        assertThat(fields.get("diagnostic-code")).isEqualTo("smtp; " + REJECT_REPLY);
        assertThat(fields).doesNotContainKey("original-recipient").doesNotContainKey("will-retry-until");
        assertThat(report.notification()).contains(recipient).contains(REJECT_REPLY);

        assertThat(report.returnedType().getBaseType()).isEqualTo("message/rfc822");
        assertThat(report.returnedSubject()).contains(subject);
        assertThat(report.returnedText()).contains("Body of " + token);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord record = queue.recipients(recipient).get(0);
            assertThat(record.state()).isEqualTo(RecipientState.BOUNCED);
            assertThat(record.attempts()).isEqualTo(1);
        }
    }

    @Test
    void dsnParametersOfTheSubmissionShapeTheFailureReport() throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@rejecting.test";
        String subject = "dsn " + token;
        try (RawSmtpSession session = authenticated()) {
            assertThat(session.sendForFirstLine("MAIL FROM:<" + SENDER + "> RET=HDRS ENVID=test-envid-1"))
                .startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<" + recipient + "> NOTIFY=FAILURE ORCPT=rfc822;" + recipient))
                .startsWith("250");
            assertThat(sendData(session, message(recipient, subject, token))).startsWith("250");
        }

        DeliveryReport report = awaitReports(token, 1).get(0);
        assertThat(report.envelopeSender()).isEmpty();
        assertThat(report.messageFields().get("original-envelope-id")).isEqualTo("test-envid-1");
        Map<String, String> fields = report.recipient(recipient);
        assertThat(fields.get("original-recipient").replace(" ", "")).isEqualTo("rfc822;" + recipient);
        assertThat(fields.get("action")).isEqualTo("failed");
        assertThat(fields.get("status")).isEqualTo("5.1.1");
        assertThat(fields.get("diagnostic-code")).isEqualTo("smtp; " + REJECT_REPLY);

        assertThat(report.returnedType().getBaseType()).as("RET=HDRS returns the header section only")
            .isEqualTo("text/rfc822-headers");
        assertThat(report.returnedText()).contains("Subject: " + subject).doesNotContain("Body of " + token);
    }

    @Test
    void notifyNeverKeepsTheSenderFromAnyReport(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@rejecting.test";
        try (RawSmtpSession session = authenticated()) {
            assertThat(session.sendForFirstLine("MAIL FROM:<" + SENDER + ">")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<" + recipient + "> NOTIFY=NEVER")).startsWith("250");
            assertThat(sendData(session, message(recipient, "never " + token, token))).startsWith("250");
        }
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .until(() -> queue.recipients(recipient).stream()
                    .anyMatch(record -> record.state() == RecipientState.BOUNCED));
        }

        // A later bounce of the same kind, with the default NOTIFY: once its report has arrived, one
        // for the earlier message would have too.
        String control = UUID.randomUUID().toString();
        submit("erin-" + control.substring(0, 8) + "@rejecting.test", "control " + control);
        awaitReports(control, 1);
        assertThat(reports.messages()).noneMatch(dump -> dump.contains(token));
    }

    @Test
    void aDeferredRecipientGetsOneDelayReportThenExpiresWithAFailureReport(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "frank-" + token.substring(0, 8) + "@deferring.test";
        String subject = "delay " + token;
        long submitted = System.nanoTime();
        submit(recipient, subject);

        // retry.delayWarnings=15s: the first attempt after that mark warns
        DeliveryReport delay = awaitReports(token, 1).get(0);
        assertThat(delay.envelopeSender()).isEmpty();
        Map<String, String> delayed = delay.recipient(recipient);
        assertThat(delayed.get("action")).isEqualTo("delayed");
        assertThat(delayed.get("status")).isEqualTo("4.3.2");
        assertThat(delayed.get("remote-mta")).isEqualTo("dns; mx.deferring.test");
        assertThat(delayed.get("diagnostic-code")).isEqualTo("smtp; " + DEFER_REPLY);
        assertThat(delayed.get("will-retry-until")).satisfies(DeliveryReportsIT::isRfc5322Date);
        assertThat(delay.message().getSubject()).isEqualTo("Delayed Mail (still being retried)");
        assertThat(delay.returnedType().getBaseType()).as("a delay report returns headers only")
            .isEqualTo("text/rfc822-headers");
        assertThat(delay.returnedText()).contains("Subject: " + subject);
        assertThat(Duration.ofNanos(System.nanoTime() - submitted)).as("not before the 15 s mark")
            .isGreaterThanOrEqualTo(Duration.ofSeconds(15));

        // retry.maxLifetime=45s: given up, with a failure report; still the one delay report only
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            await().atMost(MAX_LIFETIME.plusSeconds(45)).pollInterval(Duration.ofMillis(250))
                .until(() -> queue.recipients(recipient).stream()
                    .anyMatch(record -> record.state() == RecipientState.EXPIRED));
            RecipientRecord record = queue.recipients(recipient).get(0);
            assertThat(record.attempts()).as("retried every 5 s for 45 s").isGreaterThanOrEqualTo(5);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - submitted)).as("not before the lifetime ends")
            .isGreaterThanOrEqualTo(MAX_LIFETIME);
        List<DeliveryReport> all = awaitReports(token, 2);
        List<String> actions = new ArrayList<>();
        for (DeliveryReport report : all) {
            actions.add(report.recipient(recipient).get("action"));
        }
        assertThat(actions).containsExactly("delayed", "failed");
        DeliveryReport expiry = all.get(1);
        Map<String, String> failed = expiry.recipient(recipient);
        // the last attempt runs when the lifetime ends, and its reply is what the sender is told
        assertThat(failed.get("status")).isEqualTo("4.3.2");
        assertThat(failed.get("remote-mta")).isEqualTo("dns; mx.deferring.test");
        assertThat(failed.get("diagnostic-code")).isEqualTo("smtp; " + DEFER_REPLY);
        assertThat(failed).doesNotContainKey("will-retry-until");
        assertThat(expiry.message().getSubject()).isEqualTo("Undelivered Mail Returned to Sender");
        assertThat(expiry.returnedType().getBaseType()).isEqualTo("message/rfc822");
        assertThat(expiry.returnedSubject()).contains(subject);
    }

    private static void submit(String recipient, String subject) throws Exception {
        String token = subject.substring(subject.indexOf(' ') + 1);
        try (SubmissionSession session = SubmissionSession.open(node.port(587), SENDER, PASSWORD)) {
            assertThat(session.send(SENDER, List.of(recipient), message(recipient, subject, token))).startsWith("250");
        }
    }

    private static String message(String recipient, String subject, String token) {
        return "From: Alice <" + SENDER + ">\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: " + subject + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: <" + token + "@sender.test>\r\n"
            + "\r\n"
            + "Body of " + token + ".\r\n";
    }

    private static RawSmtpSession authenticated() throws Exception {
        RawSmtpSession session = RawSmtpSession.open(node.port(587), false);
        session.send("EHLO client.test");
        session.startTls();
        session.send("EHLO client.test");
        String auth = session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(SENDER, PASSWORD));
        if (!auth.startsWith("235")) {
            session.close();
            throw new IOException("AUTH refused: " + auth);
        }
        return session;
    }

    /** DATA, the message (dot-stuffed: these test messages have no line starting with a dot), the final dot. */
    private static String sendData(RawSmtpSession session, String message) throws IOException {
        String data = session.sendForFirstLine("DATA");
        if (!data.startsWith("354")) {
            return data;
        }
        session.write(message + ".\r\n");
        return session.reply().get(0);
    }

    /** Waits until the reports sink holds at least {@code count} reports about the message with this token. */
    private static List<DeliveryReport> awaitReports(String token, int count) throws Exception {
        Callable<List<String>> dumps = () -> reports.messages().stream()
            .filter(dump -> dump.contains(token)).collect(Collectors.toList());
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
            .until(() -> dumps.call().size() >= count);
        List<DeliveryReport> parsed = new ArrayList<>();
        for (String dump : dumps.call()) {
            parsed.add(DeliveryReport.parse(dump));
        }
        return parsed;
    }

    private static void isRfc5322Date(String value) {
        assertThat(DateTimeFormatter.RFC_1123_DATE_TIME.parse(value.replaceAll("\\s+\\(.*\\)$", ""))).isNotNull();
    }
}
