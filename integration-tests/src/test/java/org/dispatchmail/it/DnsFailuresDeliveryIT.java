package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryReport;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DNS failures at delivery time, end to end against a real dnsmasq: a recipient domain whose lookup
 * fails (SERVFAIL, or no answer at all) is accepted at submission and deferred with 4.4.3 on
 * retry.schedule, without a report; a domain that resolved when the message was queued and is gone
 * (NXDOMAIN) or publishes a null MX by the next attempt bounces with 5.1.2 or 5.1.10, and the sender
 * (whose domain is remote) gets the failure report through its own MX.
 */
@ExtendWith(CassandraExtension.class)
class DnsFailuresDeliveryIT {
    private static final String KEYSPACE = "e2e_dns_failures";
    private static final String SENDER = "alice@sender.test";
    private static final String PASSWORD = "dns-failures-pass-1";
    private static final String REPORT_MX = "127.0.0.140";
    /**
     * Nothing listens on these (one per domain: an address that refused is skipped for delivery.deadHostTime):
     * the first attempt to the domains that change later fails at connect.
     */
    private static final String VANISHING_MX = "127.0.0.141";
    private static final String NULLIFIED_MX = "127.0.0.143";
    /** retry.schedule of this node: every temporary failure is retried after 3 s (plus up to 10% jitter). */
    private static final Duration RETRY = Duration.ofSeconds(3);
    private static final Duration DNS_TIMEOUT = Duration.ofSeconds(2);
    // the root zone's KSK-2017 DS record; any anchor does, since the zone behind it is unsigned
    private static final String ROOT_TRUST_ANCHOR =
        ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

    private static DeliveryRig rig;
    private static SmtpSink reports;
    /** An unsigned zone for example.: the validating server in front of it finds its answers bogus (SERVFAIL). */
    private static DnsmasqServer unsigned;
    private static DnsmasqServer dns;
    private static int silentDnsPort;
    /** The options of the DNS server the node asks; a case changes them and restarts it on the same port. */
    private static final List<String> records = new ArrayList<>();
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        reports = rig.peer(SmtpSink.start(REPORT_MX, rig.remotePort(), "mx.sender.test"));
        unsigned = rig.peer(DnsmasqServer.start(List.of("--local=/example/",
            "--mx-host=bogus.example,mx.bogus.example,10", "--host-record=mx.bogus.example,127.0.0.142")));
        // nothing listens there: dnsmasq forwards queries for silent.example and never answers them
        silentDnsPort = DnsmasqServer.freePort();
        records.addAll(List.of(
            // one second, so that the node's resolver cache lets go of records soon after a restart
            "--local-ttl=1",
            "--dnssec", "--dnssec-check-unsigned", "--trust-anchor=" + ROOT_TRUST_ANCHOR,
            "--server=" + unsigned.address().replace(':', '#'),
            "--server=/silent.example/127.0.0.1#" + silentDnsPort,
            "--mx-host=sender.test,mx.sender.test,10", "--host-record=mx.sender.test," + REPORT_MX,
            "--mx-host=vanishing.test,mx.vanishing.test,10", "--host-record=mx.vanishing.test," + VANISHING_MX,
            "--mx-host=nullified.test,mx.nullified.test,10", "--host-record=mx.nullified.test," + NULLIFIED_MX));
        dns = rig.dns(records);
        node = rig.node(Map.of(
            "dns.timeout", DNS_TIMEOUT.toSeconds() + "s",
            "delivery.heloName", "dispatch.dns.test",
            "queue.pollInterval", "200ms",
            "retry.schedule", RETRY.toSeconds() + "s"));
        // the sender's domain is remote: its reports go out by MX like any other mail
        node.adminWithInput(PASSWORD + "\n", "submission", "add", SENDER);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void aServerFailureDefersOnTheScheduleWithoutAReport(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@bogus.example";
        assertDeferredByDns(cassandra, recipient, token, "\\(SERVFAIL\\)");
    }

    @Test
    void aServerThatNeverAnswersDefersOnTheScheduleWithoutAReport(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@silent.example";
        // dnsjava 3.5 reports its own timeout ("Timed out while trying to resolve ..."); MxResolver's backstop
        // says "no answer within"
        assertDeferredByDns(cassandra, recipient, token, "(?i)(timed out|no answer within)");
    }

    @Test
    void aDomainGoneAfterQueueingBouncesWith512AndTheSenderGetsAReport(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@vanishing.test";
        RecipientRecord bounced = bounceAfterDnsChange(cassandra, recipient, token, VANISHING_MX,
            List.of("vanishing.test"), List.of());
        AttemptHistoryEntry last = lastAttempt(queueAttempts(cassandra, bounced));
        assertThat(last.enhancedCode()).hasValue("5.1.2");
        assertThat(last.text().orElseThrow()).contains("vanishing.test").contains("NXDOMAIN");

        Map<String, String> fields = awaitFailureReport(token, recipient);
        assertThat(fields.get("status")).isEqualTo("5.1.2");
        assertThat(reportAbout(token).notification()).contains(recipient).contains("NXDOMAIN");
    }

    @Test
    void aDomainThatPublishesANullMxAfterQueueingBouncesWith5110AndTheSenderGetsAReport(
        EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "erin-" + token.substring(0, 8) + "@nullified.test";
        RecipientRecord bounced = bounceAfterDnsChange(cassandra, recipient, token, NULLIFIED_MX,
            List.of("nullified.test"), List.of("--mx-host=nullified.test,.,0"));
        AttemptHistoryEntry last = lastAttempt(queueAttempts(cassandra, bounced));
        assertThat(last.enhancedCode()).hasValue("5.1.10");
        assertThat(last.text().orElseThrow()).contains("nullified.test").contains("null MX");

        Map<String, String> fields = awaitFailureReport(token, recipient);
        assertThat(fields.get("status")).isEqualTo("5.1.10");
        assertThat(reportAbout(token).notification()).contains(recipient).contains("null MX");
    }

    /**
     * Submits to a domain whose lookup fails; checks the queue keeps the recipient deferred (4.4.3, retried
     * on the schedule), with no report, until the admin bounces it; then the one report is the admin's.
     */
    private static void assertDeferredByDns(EmbeddedCassandra cassandra, String recipient, String token,
                                            String problemPattern) throws Exception {
        // a lookup failure does not refuse the recipient at RCPT: the queue retries
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord deferred = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DEFERRED
                && r.attempts() >= 2, Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(deferred);
            assertThat(attempts.size()).isGreaterThanOrEqualTo(2);
            for (AttemptHistoryEntry attempt : attempts) {
                assertThat(attempt.stage()).isEqualTo("dns");
                assertThat(attempt.host()).as("no server was contacted").isEmpty();
                assertThat(attempt.replyCode()).as("no server replied").isEmpty();
                assertThat(attempt.enhancedCode()).hasValue("4.4.3");
                assertThat(attempt.text().orElseThrow()).contains(domainOf(recipient)).containsPattern(problemPattern);
                assertThat(attempt.decision()).isEqualTo("DEFERRED");
                Duration delay = Duration.between(attempt.attemptedAt(),
                    attempt.nextAttemptAt().orElseThrow());
                assertThat(delay).as("retry.schedule 3s with up to 10%% jitter")
                    .isBetween(RETRY, RETRY.plusMillis(RETRY.toMillis() / 10 + 50));
            }
            assertThat(attempts.get(1).attemptedAt()).as("retried when due, not before")
                .isAfterOrEqualTo(attempts.get(0).nextAttemptAt().orElseThrow());
            assertThat(deferred.nextAttemptAt()).as("the next attempt is scheduled")
                .isAfter(attempts.get(0).attemptedAt());

            // as the admin sees it (the recipient may be in flight for its next attempt right now)
            String id = deferred.messageId().toString();
            assertThat(node.admin("queue", "show", id)).contains(recipient)
                .containsPattern("(deferred|in_flight), \\d+ attempts").contains("next attempt")
                .contains("dns  4.4.3 -> deferred").containsPattern(problemPattern);
            assertThat(node.admin("queue", "list", "--domain", domainOf(recipient))).contains(recipient).contains(id);
            assertThat(reports.messages()).noneMatch(dump -> dump.contains(token));

            // Given up by the admin (between two attempts: one in flight is left alone): the report that comes
            // now is the only one about this message, so no attempt before sent one.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> node.admin("queue", "bounce", id).contains("bounce: 1 changed, 0 left alone"));
            Map<String, String> fields = awaitFailureReport(token, recipient);
            assertThat(fields.get("status")).isEqualTo("5.0.0");
            assertThat(reports.messages().stream().filter(dump -> dump.contains(token))).hasSize(1);
            assertThat(queue.recipients(recipient).get(0).state()).isEqualTo(RecipientState.BOUNCED);
        }
    }

    /**
     * Submits to a domain that resolves to a server that refuses connections, waits for the deferral, then
     * restarts the DNS server without the records of {@code dropDomains} and with {@code addRecords};
     * returns the recipient record once bounced.
     */
    private static RecipientRecord bounceAfterDnsChange(EmbeddedCassandra cassandra, String recipient, String token,
                                            String refusingMx, List<String> dropDomains, List<String> addRecords)
        throws Exception {
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord deferred = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DEFERRED
                && r.attempts() >= 1, Duration.ofSeconds(60));
            AttemptHistoryEntry first = queue.attempts(deferred).get(0);
            assertThat(first.stage()).isEqualTo("connect");
            assertThat(first.address()).hasValue(refusingMx);
            assertThat(first.decision()).isEqualTo("DEFERRED");

            restartDns(dropDomains, addRecords);

            RecipientRecord bounced = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.BOUNCED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(bounced);
            assertThat(attempts.size()).isGreaterThanOrEqualTo(2);
            // an attempt while the DNS server restarted may have been deferred too; only the last one decided
            assertThat(attempts.subList(0, attempts.size() - 1))
                .allMatch(attempt -> "DEFERRED".equals(attempt.decision()));
            AttemptHistoryEntry last = lastAttempt(attempts);
            assertThat(last.stage()).isEqualTo("dns");
            assertThat(last.host()).isEmpty();
            assertThat(last.replyCode()).isEmpty();
            assertThat(last.decision()).isEqualTo("BOUNCED");
            assertThat(last.nextAttemptAt()).isEmpty();
            assertThat(bounced.attempts()).isEqualTo(attempts.size());

            String id = bounced.messageId().toString();
            assertThat(node.admin("queue", "show", id)).contains(recipient).contains("bounced, ")
                .contains("dns  " + last.enhancedCode().orElseThrow() + " -> bounced");
            assertThat(node.admin("queue", "list", "--domain", domainOf(recipient))).doesNotContain(recipient);
            return bounced;
        }
    }

    private static void restartDns(List<String> dropDomains, List<String> addRecords)
        throws Exception {
        records.removeIf(option -> dropDomains.stream().anyMatch(domain -> option.startsWith("--mx-host=" + domain + ",")
            || option.startsWith("--host-record=mx." + domain + ",")));
        records.addAll(addRecords);
        dns = rig.restartDns(records);
    }

    private static List<AttemptHistoryEntry> queueAttempts(EmbeddedCassandra cassandra, RecipientRecord record) {
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            return queue.attempts(record);
        }
    }

    private static AttemptHistoryEntry lastAttempt(List<AttemptHistoryEntry> attempts) {
        return attempts.stream().max((a, b) -> a.attemptedAt().compareTo(b.attemptedAt()))
            .orElseThrow();
    }

    private static void submit(String recipient, String token) throws Exception {
        String message = "From: Alice <" + SENDER + ">\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: dns " + token + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: <" + token + "@sender.test>\r\n"
            + "\r\n"
            + "Body of " + token + ".\r\n";
        try (SubmissionSession session = SubmissionSession.open(node.port(587), SENDER, PASSWORD)) {
            assertThat(session.send(SENDER, List.of(recipient), message)).startsWith("250");
        }
    }

    /** Waits for the failure report about the message with this token at the sender's MX; its recipient fields. */
    private static Map<String, String> awaitFailureReport(String token, String recipient) throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> reports.messages().stream().anyMatch(dump -> dump.contains(token)));
        DeliveryReport report = reportAbout(token);
        assertThat(report.envelopeSender()).as("reports come from the null sender").isEmpty();
        assertThat(report.envelopeRecipients()).containsExactly(SENDER);
        assertThat(report.contentType().getParameter("report-type")).isEqualTo("delivery-status");
        assertThat(report.messageFields().get("reporting-mta")).isEqualTo("dns; dispatch.dns.test");
        assertThat(report.recipientFields()).hasSize(1);
        Map<String, String> fields = report.recipient(recipient);
        assertThat(fields.get("action")).isEqualTo("failed");
        // no server was contacted, so none is named and none said anything
        assertThat(fields).doesNotContainKey("remote-mta").doesNotContainKey("diagnostic-code")
            .doesNotContainKey("will-retry-until");
        assertThat(report.returnedSubject()).contains("dns " + token);
        return fields;
    }

    private static DeliveryReport reportAbout(String token) throws Exception {
        List<String> dumps = reports.messages().stream().filter(dump -> dump.contains(token))
            .collect(Collectors.toList());
        assertThat(dumps).isNotEmpty();
        return DeliveryReport.parse(dumps.get(0));
    }

    private static String domainOf(String address) {
        return address.substring(address.indexOf('@') + 1);
    }
}
