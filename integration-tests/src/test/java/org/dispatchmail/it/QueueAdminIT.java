package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryReport;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.MisbehavingPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The queue as an admin works it, on a real node: "./dispatch queue ..." commands and the webadmin
 * JSON routes over mail that a real remote MTA keeps deferring (451 at RCPT). Summary, list filters,
 * show with the attempt history, hold and release, retry now, bounce now with its report, delete,
 * refusals of bad input, and the dispatch_* metrics on James's /metrics.
 */
@ExtendWith(CassandraExtension.class)
class QueueAdminIT {
    private static final String KEYSPACE = "e2e_queue_admin";
    private static final String SENDER = "alice@sender.test";
    private static final String PASSWORD = "queue-admin-pass-1";
    private static final String DEFER_REPLY = "451 4.3.2 System not accepting network messages";
    /** A first retry soon enough to watch, then one far enough away that only a command brings the next attempt. */
    private static final String SCHEDULE = "6s,10m";
    private static final String DEFERRING_MX = "127.0.0.92";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static DeliveryRig rig;
    private static SmtpSink reports;
    private static SmtpSink deferring;
    private static DnsmasqServer dns;
    private static DispatchNode node;
    private static QueueState queue;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        reports = rig.peer(SmtpSink.start("127.0.0.91", rig.remotePort(), "mx.sender.test"));
        deferring = rig.peer(MisbehavingPeer.tempFailsAtRcpt(DEFERRING_MX, rig.remotePort(), DEFER_REPLY));
        List<String> records = new ArrayList<>(List.of("--mx-host=sender.test,mx.sender.test,10",
            "--host-record=mx.sender.test,127.0.0.91", "--host-record=mx.deferring.test," + DEFERRING_MX));
        // each test works on its own recipient domain, all of them served by the deferring MTA
        for (String domain : List.of("summary.test", "other.test", "hold.test", "retry.test", "bounce.test",
            "delete.test", "metrics.test")) {
            records.add("--mx-host=" + domain + ",mx.deferring.test,10");
        }
        dns = rig.dns(records);
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.admin.test",
            "queue.pollInterval", "200ms",
            "retry.schedule", SCHEDULE,
            "metrics.queueScanInterval", "2s"));
        node.adminWithInput(PASSWORD + "\n", "submission", "add", SENDER);
        queue = new QueueState(cassandra, KEYSPACE);
    }

    @AfterAll
    static void stop() throws Exception {
        if (queue != null) {
            queue.close();
        }
        rig.close();
    }

    @Test
    void summaryListAndShowDescribeDeferredMail() throws Exception {
        String token = token();
        String amy = "amy-" + token + "@summary.test";
        String ben = "ben-" + token + "@other.test";
        submit(amy);
        submit(ben);
        awaitAttempts(amy, 2);
        awaitAttempts(ben, 2);
        UUID id = messageId(amy);

        JsonNode summary = http("GET", "/dispatch/queue/summary", 200);
        JsonNode row = domainRow(summary, "summary.test");
        assertThat(row.get("states").get("deferred").asInt()).isEqualTo(1);
        assertThat(row.get("states").size()).isEqualTo(1);
        assertThat(summary.get("byState").get("deferred").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(node.admin("queue", "summary")).containsPattern("(?m)^summary\\.test\\s+1\\s.*deferred=1\\s*$")
            .containsPattern("(?m)^other\\.test\\s+1\\s.*deferred=1\\s*$");

        JsonNode listed = http("GET", "/dispatch/queue?domain=summary.test", 200);
        assertThat(listed.size()).isEqualTo(1);
        JsonNode entry = listed.get(0);
        assertThat(entry.get("id").asText()).isEqualTo(id.toString());
        assertThat(entry.get("recipient").asText()).isEqualTo(amy);
        assertThat(entry.get("sender").asText()).isEqualTo(SENDER);
        assertThat(entry.get("state").asText()).isEqualTo("deferred");
        assertThat(entry.get("attempts").asInt()).isEqualTo(2);
        assertThat(entry.get("lastResult").asText()).contains(DEFER_REPLY);
        assertThat(Instant.parse(entry.get("nextAttemptAt").asText()))
            .as("after the second failure the 10m step of the schedule applies").isAfter(Instant.now().plusSeconds(500));
        assertThat(http("GET", "/dispatch/queue?domain=summary.test&state=held", 200).size()).isZero();
        assertThat(recipients(http("GET", "/dispatch/queue?domain=other.test&state=deferred", 200))).containsExactly(ben);
        assertThat(recipients(http("GET", "/dispatch/queue?state=deferred&sender=" + SENDER + "&limit=1000", 200)))
            .contains(amy, ben);
        assertThat(node.admin("queue", "list", "--domain", "summary.test")).contains(amy).contains(id.toString())
            .doesNotContain(ben).contains("1 entry");
        assertThat(node.admin("queue", "list", "--domain", "summary.test", "--status", "held")).doesNotContain(amy)
            .contains("0 entries");

        JsonNode shown = http("GET", "/dispatch/queue/messages/" + id, 200);
        assertThat(shown.get("sender").asText()).isEqualTo(SENDER);
        JsonNode history = shown.get("recipients").get(0).get("history");
        assertThat(history.size()).isEqualTo(2);
        for (JsonNode attempt : history) {
            assertThat(attempt.get("host").asText()).isEqualTo("mx.deferring.test");
            assertThat(attempt.get("address").asText()).isEqualTo(DEFERRING_MX);
            assertThat(attempt.get("code").asInt()).isEqualTo(451);
            assertThat(attempt.get("status").asText()).isEqualTo("4.3.2");
            assertThat(attempt.get("text").asText()).contains("System not accepting network messages");
            assertThat(attempt.get("decision").asText()).isEqualTo("deferred");
        }
        String text = node.admin("queue", "show", id.toString());
        assertThat(text).contains(amy).contains("<" + SENDER + ">").contains("deferred, 2 attempts")
            .contains("mx.deferring.test[" + DEFERRING_MX + "]").contains("System not accepting network messages");
        assertThat(count(text, "451 4.3.2 -> deferred")).isEqualTo(2);
    }

    @Test
    void aHeldRecipientIsNotAttemptedUntilReleased() throws Exception {
        String cat = "cat-" + token() + "@hold.test";
        submit(cat);
        awaitAttempts(cat, 1);
        UUID id = messageId(cat);
        // before the 6 s retry comes due
        assertThat(node.admin("queue", "hold", id.toString())).contains("hold: 1 changed, 0 left alone");
        assertThat(state(cat)).isEqualTo("HELD");
        assertThat(recipients(http("GET", "/dispatch/queue?domain=hold.test&state=held", 200))).containsExactly(cat);
        assertThat(node.admin("queue", "retry", id.toString())).as("retry now leaves held mail alone")
            .contains("retry: 0 changed, 1 left alone");

        // past the retry that was due before the hold, and two more schedule steps
        await().during(Duration.ofSeconds(15)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
            .until(() -> attempts(cat) == 1 && "HELD".equals(state(cat)));
        assertThat(queue.attempts(record(cat))).hasSize(1);

        assertThat(node.admin("queue", "release", id.toString())).contains("release: 1 changed, 0 left alone");
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> attempts(cat) == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> "DEFERRED".equals(state(cat)));
    }

    @Test
    void retryNowAttemptsAtOnceInsteadOfAtTheScheduledTime() throws Exception {
        String dan = "dan-" + token() + "@retry.test";
        submit(dan);
        awaitAttempts(dan, 2);
        UUID id = messageId(dan);
        Instant scheduled = record(dan).nextAttemptAt();
        assertThat(scheduled).isAfter(Instant.now().plusSeconds(500));

        Instant asked = Instant.now();
        assertThat(node.admin("queue", "retry", id.toString())).contains("retry: 1 changed, 0 left alone");
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200)).until(() -> attempts(dan) == 3);
        List<AttemptHistoryEntry> history = queue.attempts(record(dan));
        assertThat(history).hasSize(3);
        Instant third = history.stream().map(AttemptHistoryEntry::attemptedAt).max(Instant::compareTo)
            .orElseThrow();
        assertThat(third).isAfter(asked.minusSeconds(1)).isBefore(asked.plusSeconds(15)).isBefore(scheduled);
    }

    @Test
    void bounceNowGivesUpAndTellsTheSender() throws Exception {
        String token = token();
        String eve = "eve-" + token + "@bounce.test";
        submit(eve);
        awaitAttempts(eve, 2);
        UUID id = messageId(eve);

        assertThat(node.admin("queue", "bounce", id.toString())).contains("bounce: 1 changed, 0 left alone");
        assertThat(state(eve)).isEqualTo("BOUNCED");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> reports.messages().stream().anyMatch(dump -> dump.contains(token)));
        String dump = reports.messages().stream().filter(d -> d.contains(token)).findFirst().orElseThrow();
        DeliveryReport report = DeliveryReport.parse(dump);
        assertThat(report.envelopeSender()).isEmpty();
        assertThat(report.envelopeRecipients()).containsExactly(SENDER);
        Map<String, String> fields = report.recipient(eve);
        assertThat(fields.get("action")).isEqualTo("failed");
        assertThat(fields.get("status")).isEqualTo("5.0.0");
        assertThat(report.notification()).contains("returned by the mail administrator");
        assertThat(report.returnedSubject()).contains("queue admin " + token);
        assertThat(http("GET", "/dispatch/queue?domain=bounce.test", 200).size()).as("no longer queued").isZero();
    }

    @Test
    void deleteRemovesTheMessageWithoutAReport() throws Exception {
        String token = token();
        String fay = "fay-" + token + "@delete.test";
        submit(fay);
        awaitAttempts(fay, 1);
        UUID id = messageId(fay);

        assertThat(node.admin("queue", "delete", id.toString())).contains("delete: 1 changed");
        JsonNode missing = http("GET", "/dispatch/queue/messages/" + id, 404);
        assertThat(missing.get("message").asText()).contains(id.toString());
        assertThatThrownBy(() -> node.admin("queue", "show", id.toString())).hasMessageContaining("HTTP 404");
        assertThat(queue.recipients(fay)).isEmpty();
        assertThat(http("GET", "/dispatch/queue?domain=delete.test", 200).size()).isZero();
        assertThat(reports.messages()).noneMatch(dump -> dump.contains(token));
    }

    @Test
    void badCommandsAreRefusedWithTheReason() throws Exception {
        JsonNode unknownAction = http("POST", "/dispatch/queue?action=explode&all=true", 400);
        assertThat(unknownAction.get("message").asText()).contains("unknown action explode");
        JsonNode noScope = http("POST", "/dispatch/queue?action=retry", 400);
        assertThat(noScope.get("message").asText()).contains("domain=D").contains("all=true");
        assertThat(http("DELETE", "/dispatch/queue", 400).get("message").asText()).contains("all=true");
        assertThat(http("POST", "/dispatch/queue?domain=summary.test", 400).get("message").asText())
            .contains("action is required");

        UUID unknown = UUID.randomUUID();
        for (String method : List.of("GET", "DELETE")) {
            assertThat(http(method, "/dispatch/queue/messages/" + unknown, 404).get("message").asText())
                .contains(unknown.toString());
        }
        assertThat(http("POST", "/dispatch/queue/messages/" + unknown + "?action=retry", 404).get("message").asText())
            .contains(unknown.toString());
        assertThat(http("GET", "/dispatch/queue/messages/not-an-id", 400).get("message").asText())
            .contains("not a queue id");
        assertThat(http("GET", "/dispatch/queue?state=lost", 400).get("message").asText()).contains("unknown state lost");
        assertThat(http("GET", "/dispatch/queue?limit=0", 400).get("message").asText()).contains("limit");

        assertThatThrownBy(() -> node.admin("queue", "retry")).hasMessageContaining("queue retry (ID | --domain D | all)");
        assertThatThrownBy(() -> node.admin("queue", "explode")).hasMessageContaining("queue needs one of");
        assertThatThrownBy(() -> node.admin("queue", "hold", unknown.toString())).hasMessageContaining("HTTP 404");
    }

    @Test
    void metricsCountTheAttemptsAndGaugeTheQueue() throws Exception {
        String gus = "gus-" + token() + "@metrics.test";
        submit(gus);
        awaitAttempts(gus, 1);
        // the gauges are computed every metrics.queueScanInterval (2 s here)
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(() -> {
            String metrics = metrics();
            return metric(metrics, "dispatch_attempts_temporary_4xx").orElse(0.0) >= 1
                && metric(metrics, "dispatch_queue_recipients_deferred").orElse(0.0) >= 1;
        });
        String metrics = metrics();
        assertThat(metric(metrics, "dispatch_queue_recipients_held")).isPresent();
        assertThat(metric(metrics, "dispatch_queue_oldest_age_seconds")).isPresent();
        // the node's CQL requests: the claim and the outcome of that attempt were lightweight transactions
        assertThat(metric(metrics, "dispatch_cassandra_requests")).hasValueSatisfying(n -> assertThat(n).isPositive());
        assertThat(metric(metrics, "dispatch_cassandra_requests_lwt")).hasValueSatisfying(n -> assertThat(n).isPositive());
    }

    // ------------------------------------------------------------------ helpers

    private static String token() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static void submit(String recipient) throws Exception {
        String token = recipient.substring(recipient.indexOf('-') + 1, recipient.indexOf('@'));
        String message = "From: Alice <" + SENDER + ">\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: queue admin " + token + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: <" + token + "." + UUID.randomUUID() + "@sender.test>\r\n"
            + "\r\n"
            + "Kept waiting by the remote MTA.\r\n";
        try (SubmissionSession session = SubmissionSession.open(node.port(587), SENDER, PASSWORD)) {
            assertThat(session.send(SENDER, List.of(recipient), message)).startsWith("250");
        }
    }

    private static void awaitAttempts(String recipient, int attempts) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> attempts(recipient) >= attempts && "DEFERRED".equals(state(recipient)));
    }

    private static RecipientRecord record(String recipient) {
        List<RecipientRecord> records = queue.recipients(recipient);
        if (records.size() != 1) {
            throw new IllegalStateException(records.size() + " queue records for " + recipient);
        }
        return records.get(0);
    }

    private static int attempts(String recipient) {
        List<RecipientRecord> records = queue.recipients(recipient);
        return records.isEmpty() ? 0 : records.get(0).attempts();
    }

    private static String state(String recipient) {
        List<RecipientRecord> records = queue.recipients(recipient);
        return records.isEmpty() ? "" : records.get(0).state().name();
    }

    private static UUID messageId(String recipient) {
        return record(recipient).messageId();
    }

    private static JsonNode domainRow(JsonNode summary, String domain) {
        for (JsonNode row : summary.get("domains")) {
            if (domain.equals(row.get("domain").asText())) {
                return row;
            }
        }
        throw new AssertionError("no " + domain + " in the summary " + summary);
    }

    private static List<String> recipients(JsonNode list) {
        List<String> recipients = new ArrayList<>();
        list.forEach(entry -> recipients.add(entry.get("recipient").asText()));
        return recipients;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    /** One webadmin call; fails unless it answers the expected status; the JSON body. */
    private static JsonNode http(String method, String path, int expectedStatus) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + path))
            .header("Authorization", node.bearer()).method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isEqualTo(expectedStatus);
        return JSON.readTree(response.body());
    }

    private static String metrics() throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + "/metrics"))
            .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET /metrics: %s", response.body()).isEqualTo(200);
        return response.body();
    }

    /** The value of an unlabelled sample in Prometheus text format. */
    private static Optional<Double> metric(String text, String name) {
        Matcher sample = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\S+)$").matcher(text);
        return sample.find() ? Optional.of(Double.parseDouble(sample.group(1))) : Optional.empty();
    }
}
