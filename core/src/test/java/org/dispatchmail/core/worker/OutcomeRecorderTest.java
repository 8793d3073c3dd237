package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.dsn.DsnMessageBuilder;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.junit.jupiter.api.Test;

class OutcomeRecorderTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final String POSTGREY = "450 4.2.0 <%s>: Recipient address rejected: Greylisted,"
        + " see http://postgrey.schweikert.ch/help/one.test.html";
    private static final RecipientDsn NEVER = new RecipientDsn(EnumSet.of(DsnNotify.NEVER), Optional.empty());

    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryQueueStore store = new InMemoryQueueStore(16, Duration.ofMinutes(1));
    private final InMemoryGreylistMemory greylistMemory = new InMemoryGreylistMemory(clock);
    private final RecordingReportSender reportSender = new RecordingReportSender();
    private final RecordingMetrics metrics = new RecordingMetrics();
    // default schedule (1m, 5m, ...), probes (35s, 30s, ...), 5d lifetime; no jitter; delay warnings at 4h and 1d
    private final RetrySettings retry = RetrySettings.from(new ConfigReader("dispatch.properties", Map.of(
        "retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.delayWarnings", "4h,1d")));
    /** Runs as a report is handed over, before it is recorded; may throw as a failing James would. */
    private ReportSender beforeSend = (recipient, bytes) -> { };
    private final OutcomeRecorder recorder = new OutcomeRecorder(store, greylistMemory,
        new RetryPolicy(retry, new Random(1)), retry, new DeliveryReports((recipient, bytes) -> {
            beforeSend.send(recipient, bytes);
            reportSender.send(recipient, bytes);
        }, "mx.dispatch.test",
            DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE, metrics, clock), metrics, "node-a", clock);

    private UUID enqueue(String sender, String... recipients) {
        return enqueue(sender, Collections.nCopies(recipients.length, RecipientDsn.NONE), recipients);
    }

    private UUID enqueue(String sender, List<RecipientDsn> dsn, String... recipients) {
        return store.enqueue(new NewMessage("mail-" + UUID.randomUUID(), sender, List.of(recipients),
            ("From: <" + sender + ">\r\nSubject: figures\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII),
            MessageDsn.NONE, dsn), clock.instant());
    }

    /**
     * One attempt for some recipients of one message and one domain, now: claims them as the worker does
     * and records the replies given as (recipient, reply) pairs.
     */
    private void attempt(UUID id, String... recipientsAndReplies) {
        StoredMessage message = store.message(id).orElseThrow();
        List<RecipientRecord> seen = new ArrayList<>();
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < recipientsAndReplies.length; i += 2) {
            String recipient = recipientsAndReplies[i];
            RecipientRecord record = store.recipient(id, recipient).orElseThrow();
            seen.add(claimed(record, clock.instant().plus(Duration.ofMinutes(15))));
            outcomes.add(outcome(recipient, recipientsAndReplies[i + 1]));
        }
        String domain = recipientsAndReplies[0].substring(recipientsAndReplies[0].indexOf('@') + 1);
        recorder.record(message, domain, "mx", seen, outcomes);
    }

    private static RecipientOutcome outcome(String recipient, String reply) {
        String domain = recipient.substring(recipient.indexOf('@') + 1);
        return RecipientOutcome.fromReply(recipient, "mx." + domain, "192.0.2.7", AttemptStage.RCPT,
            SmtpReply.parse(List.of(reply)));
    }

    /** The record as node-a's claim wrote it (with its token), as the worker hands it to the recorder. */
    private RecipientRecord claimed(RecipientRecord record, Instant until) {
        List<RecipientRecord> taken = store.claim(List.of(record), "node-a", until, until);
        assertThat(taken).hasSize(1);
        return taken.get(0);
    }

    private RecipientRecord record(UUID id, String recipient) {
        return store.recipient(id, recipient).orElseThrow();
    }

    private ParsedReport onlyReport() throws Exception {
        assertThat(reportSender.sent()).hasSize(1);
        assertThat(reportSender.sent().get(0).recipient()).isEqualTo("alice@example.com");
        return ParsedReport.parse(reportSender.sent().get(0).bytes());
    }

    private boolean listedAsActive(UUID id) {
        return store.activeMessages(store.shardOf(id), InMemoryQueueStore.epochDay(T0)).contains(id);
    }

    // ------------------------------------------------------------------ delivered, permanent, temporary

    @Test
    void aDeliveryIsFinalAndFinishesTheMessage() {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        clock.advance(Duration.ofMinutes(2));

        attempt(id, "bob@one.test", "250 2.1.5 ok");

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(bob.attempts()).isEqualTo(1);
        assertThat(bob.claimedBy()).isEmpty();
        assertThat(bob.lastResult().orElseThrow()).contains("250 2.1.5 ok");
        assertThat(store.dueTimes(id, "bob@one.test")).as("a final state is not indexed: only the enqueue"
            + " entry (the worker removes it) and the claim's safety entry are left")
            .containsExactly(T0, T0.plus(Duration.ofMinutes(17)));
        AttemptHistoryEntry history = store.attempts(id, "bob@one.test").get(0);
        assertThat(history.decision()).isEqualTo("DELIVERED");
        assertThat(history.replyCode()).contains(250);
        assertThat(history.node()).isEqualTo("node-a");
        assertThat(history.nextAttemptAt()).isEmpty();
        assertThat(store.hasContent(id)).isFalse();
        assertThat(listedAsActive(id)).isFalse();
        assertThat(reportSender.sent()).isEmpty();
        assertThat(metrics.calls()).containsExactly("attempt delivered 2xx", "delivered");
        assertThat(metrics.latencies()).containsExactly(Duration.ofMinutes(2));
    }

    @Test
    void aSuccessReportIsSentOnlyWhenAskedForAndTheServerDidNotTakeTheDsnOver() throws Exception {
        RecipientDsn success = new RecipientDsn(EnumSet.of(DsnNotify.SUCCESS), Optional.of("rfc822;bob@one.test"));
        UUID id = enqueue("alice@example.com", List.of(success, success, RecipientDsn.NONE),
            "bob@one.test", "carol@one.test", "dave@one.test");
        StoredMessage message = store.message(id).orElseThrow();
        List<RecipientRecord> seen = new ArrayList<>();
        for (String recipient : List.of("bob@one.test", "carol@one.test", "dave@one.test")) {
            RecipientRecord record = store.recipient(id, recipient).orElseThrow();
            seen.add(claimed(record, T0.plus(Duration.ofMinutes(15))));
        }

        recorder.record(message, "one.test", "mx", seen, List.of(
            outcome("bob@one.test", "250 2.0.0 ok"),
            // this server offered DSN: it reports success itself
            outcome("carol@one.test", "250 2.0.0 ok").withDsnPassedOn(true),
            outcome("dave@one.test", "250 2.0.0 ok")));

        ParsedReport report = onlyReport();
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("relayed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("2.0.0");
        assertThat(report.recipientField("bob@one.test", "Original-Recipient")).isEqualTo("rfc822; bob@one.test");
        assertThat(report.finalRecipients()).as("carol's server reports itself; dave did not ask")
            .containsExactly("bob@one.test");
    }

    @Test
    void aReportIsSentOnlyAfterTheStateThatJustifiesItIsWritten() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        beforeSend = (recipient, bytes) -> {
            RecipientRecord atSend = record(id, "bob@one.test");
            assertThat(atSend.state()).isEqualTo(RecipientState.BOUNCED);
            assertThat(atSend.reportOwed()).as("owed until handed over").contains(DsnAction.FAILED);
        };

        attempt(id, "bob@one.test", "550 5.1.1 <bob@one.test>: user unknown");

        assertThat(reportSender.sent()).hasSize(1);
        assertThat(record(id, "bob@one.test").reportOwed()).isEmpty();
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aReportThatCannotBeSentStaysOwedWithTheContentAndComesBackLater() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test", "carol@one.test");
        beforeSend = (recipient, bytes) -> {
            throw new IllegalStateException("the mailet container refuses mail");
        };

        attempt(id, "bob@one.test", "550 5.1.1 <bob@one.test>: user unknown",
            "carol@one.test", "250 2.0.0 ok");

        assertThat(reportSender.sent()).isEmpty();
        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.BOUNCED);
        assertThat(record(id, "bob@one.test").reportOwed()).contains(DsnAction.FAILED);
        assertThat(record(id, "carol@one.test").reportOwed()).isEmpty();
        assertThat(store.hasContent(id)).as("the report quotes it").isTrue();
        assertThat(listedAsActive(id)).isTrue();
        assertThat(store.dueTimes(id, "bob@one.test")).contains(T0.plus(DeliveryReports.RETRY));

        // the worker finds it then and sends it, rebuilt from the stored state and attempt
        beforeSend = (recipient, bytes) -> { };
        clock.advance(DeliveryReports.RETRY);
        recorder.sendOwedReports(store.message(id).orElseThrow(), List.of(record(id, "bob@one.test")));

        ParsedReport report = onlyReport();
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("5.1.1");
        assertThat(report.recipientField("bob@one.test", "Remote-MTA")).contains("mx.one.test");
        assertThat(report.recipientField("bob@one.test", "Diagnostic-Code"))
            .contains("550 5.1.1 <bob@one.test>: user unknown");
        assertThat(record(id, "bob@one.test").reportOwed()).isEmpty();
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aPermanentFailureBouncesWithAReport() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test");

        attempt(id, "bob@one.test", "550 5.1.1 <bob@one.test>: user unknown");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.BOUNCED);
        ParsedReport report = onlyReport();
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("5.1.1");
        assertThat(store.hasContent(id)).isFalse();
        assertThat(metrics.calls()).containsExactly("attempt permanent 5xx", "failed bounced", "report failed");
    }

    @Test
    void aTemporaryFailureIsDeferredOnTheSchedule() {
        UUID id = enqueue("alice@example.com", "bob@one.test");

        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(bob.nextAttemptAt()).isEqualTo(T0.plus(Duration.ofMinutes(1)));
        assertThat(bob.greylistAttempts()).isZero();
        assertThat(bob.claimedBy()).isEmpty();
        assertThat(store.dueTimes(id, "bob@one.test")).contains(T0.plus(Duration.ofMinutes(1)));
        assertThat(store.hasContent(id)).isTrue();
        assertThat(listedAsActive(id)).isTrue();
        assertThat(reportSender.sent()).isEmpty();
        assertThat(metrics.calls()).containsExactly("attempt temporary 4xx");
    }

    @Test
    void outcomesOfOneStepAreCountedPerRecipient() {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@one.test", "c@one.test");

        attempt(id, "a@one.test", "250 ok", "b@one.test", "550 5.7.1 refused",
            "c@one.test", String.format(POSTGREY, "c@one.test"));

        assertThat(metrics.calls()).containsExactly("attempt delivered 2xx", "delivered",
            "attempt permanent 5xx", "failed bounced", "attempt temporary 4xx", "greylisted", "report failed");
        assertThat(store.hasContent(id)).as("c is still waiting").isTrue();
    }

    // ------------------------------------------------------------------ greylisting

    @Test
    void aGreylistedReplyIsRetriedAtTheFirstProbeNotOnTheSchedule() {
        UUID id = enqueue("alice@example.com", "bob@one.test");

        attempt(id, "bob@one.test", String.format(POSTGREY, "bob@one.test"));

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(bob.greylistAttempts()).isEqualTo(1);
        assertThat(bob.firstGreylistedAt()).contains(T0);
        assertThat(bob.lastGreylistedAt()).contains(T0);
        assertThat(bob.nextAttemptAt()).as("first probe, 35 s; the schedule would say 1 min")
            .isEqualTo(T0.plusSeconds(35));
        assertThat(metrics.calls()).containsExactly("attempt temporary 4xx", "greylisted");

        clock.advance(Duration.ofSeconds(35));
        attempt(id, "bob@one.test", String.format(POSTGREY, "bob@one.test"));

        bob = record(id, "bob@one.test");
        assertThat(bob.greylistAttempts()).isEqualTo(2);
        assertThat(bob.firstGreylistedAt()).as("windows count from the first deferral").contains(T0);
        assertThat(bob.lastGreylistedAt()).contains(T0.plusSeconds(35));
        assertThat(bob.nextAttemptAt()).as("second probe: 35 s + 30 s after the first deferral")
            .isEqualTo(T0.plusSeconds(65));
    }

    @Test
    void aHintedGreylistingReplyIsRetriedAtTheHint() {
        UUID id = enqueue("alice@example.com", "bob@one.test");

        attempt(id, "bob@one.test", "451 4.7.1 Greylisting in action, please come back in 5 minutes");

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.greylistAttempts()).isEqualTo(1);
        assertThat(bob.nextAttemptAt()).as("the hint plus retry.greylist.hintMargin")
            .isEqualTo(T0.plus(Duration.ofMinutes(5)).plusSeconds(10));
    }

    @Test
    void aDeliveryAfterGreylistingTeachesTheWindowToLaterRecipientsOfTheDomain() {
        UUID first = enqueue("alice@example.com", "bob@one.test");
        attempt(first, "bob@one.test", String.format(POSTGREY, "bob@one.test"));
        clock.advance(Duration.ofSeconds(35));
        attempt(first, "bob@one.test", String.format(POSTGREY, "bob@one.test"));
        clock.advance(Duration.ofSeconds(30));
        attempt(first, "bob@one.test", "250 2.0.0 ok");

        LearnedWindow window = greylistMemory.window("one.test").orElseThrow();
        assertThat(window.lower()).isEqualTo(Duration.ofSeconds(35));
        assertThat(window.upper()).isEqualTo(Duration.ofSeconds(65));
        assertThat(window.observedAt()).isEqualTo(T0.plusSeconds(65));

        clock.advance(Duration.ofMinutes(10));
        Instant later = clock.instant();
        UUID second = enqueue("alice@example.com", "carol@one.test");
        attempt(second, "carol@one.test", String.format(POSTGREY, "carol@one.test"));
        assertThat(record(second, "carol@one.test").nextAttemptAt())
            .as("the learned upper bound (no margin: the server accepted then), not the 35 s probe")
            .isEqualTo(later.plusSeconds(65));

        // another domain learned nothing
        UUID third = enqueue("alice@example.com", "dave@two.test");
        attempt(third, "dave@two.test", String.format(POSTGREY, "dave@two.test"));
        assertThat(record(third, "dave@two.test").nextAttemptAt()).isEqualTo(later.plusSeconds(35));
    }

    @Test
    void aLearnedWindowIsForgottenAfterItsTimeToLive() {
        UUID first = enqueue("alice@example.com", "bob@one.test");
        attempt(first, "bob@one.test", String.format(POSTGREY, "bob@one.test"));
        clock.advance(Duration.ofSeconds(35));
        attempt(first, "bob@one.test", "250 2.0.0 ok");
        assertThat(greylistMemory.window("one.test")).isPresent();

        clock.advance(retry.learnedWindowTtl());
        assertThat(greylistMemory.window("one.test")).isEmpty();
        Instant later = clock.instant();
        UUID second = enqueue("alice@example.com", "carol@one.test");
        attempt(second, "carol@one.test", String.format(POSTGREY, "carol@one.test"));
        assertThat(record(second, "carol@one.test").nextAttemptAt()).isEqualTo(later.plusSeconds(35));
    }

    // ------------------------------------------------------------------ reports

    @Test
    void permanentFailuresDecidedTogetherShareOneReport() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test", "carol@one.test", "dave@one.test");

        attempt(id, "bob@one.test", "550 5.1.1 <bob@one.test>: Recipient address rejected: User unknown",
            "carol@one.test", "554 5.7.1 <carol@one.test>: Relay access denied",
            "dave@one.test", "250 2.1.5 ok");

        ParsedReport report = onlyReport();
        assertThat(report.header("Subject")).isEqualTo("Undelivered Mail Returned to Sender");
        assertThat(report.header("To")).isEqualTo("<alice@example.com>");
        assertThat(report.messageField("Reporting-MTA")).isEqualTo("dns; mx.dispatch.test");
        assertThat(report.finalRecipients()).containsExactly("bob@one.test", "carol@one.test");
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("5.1.1");
        assertThat(report.recipientField("bob@one.test", "Remote-MTA")).isEqualTo("dns; mx.one.test");
        assertThat(report.recipientField("bob@one.test", "Diagnostic-Code")).startsWith("smtp; 550 5.1.1");
        assertThat(report.recipientField("carol@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("carol@one.test", "Status")).isEqualTo("5.7.1");
        assertThat(report.partType(2)).as("the original goes back whole").isEqualTo("message/rfc822");
        assertThat(metrics.calls()).containsOnlyOnce("report failed");
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void notifyNeverLeavesTheRecipientOutOfTheReport() throws Exception {
        UUID id = enqueue("alice@example.com", List.of(NEVER, RecipientDsn.NONE), "bob@one.test", "carol@one.test");
        assertThat(record(id, "bob@one.test").dsn()).isEqualTo(NEVER);

        attempt(id, "bob@one.test", "550 5.1.1 unknown", "carol@one.test", "550 5.1.1 unknown");

        assertThat(onlyReport().finalRecipients()).containsExactly("carol@one.test");
    }

    @Test
    void noReportWhenEveryRecipientSaidNotifyNever() {
        UUID id = enqueue("alice@example.com", List.of(NEVER), "bob@one.test");

        attempt(id, "bob@one.test", "550 5.1.1 unknown");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.BOUNCED);
        assertThat(reportSender.sent()).isEmpty();
        assertThat(metrics.calls()).doesNotContain("report failed");
    }

    @Test
    void theNullSenderGetsNoReport() {
        UUID id = enqueue("", "bob@one.test");

        attempt(id, "bob@one.test", "550 5.1.1 unknown");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.BOUNCED);
        assertThat(reportSender.sent()).isEmpty();
        assertThat(metrics.calls()).doesNotContain("report failed");
    }

    @Test
    void aTemporaryFailureAfterADelayMarkSendsOneDelayReport() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");
        clock.advance(Duration.ofHours(3));
        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");
        assertThat(reportSender.sent()).as("before the 4h mark").isEmpty();

        clock.advance(Duration.ofHours(1).plusMinutes(1));
        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");

        ParsedReport report = onlyReport();
        assertThat(report.header("Subject")).isEqualTo("Delayed Mail (still being retried)");
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("delayed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("4.3.0");
        assertThat(ParsedReport.date(report.recipientField("bob@one.test", "Will-Retry-Until")))
            .isEqualTo(T0.plus(Duration.ofDays(5)));
        assertThat(report.partType(2)).as("a delay report carries the header only").isEqualTo("text/rfc822-headers");
        assertThat(record(id, "bob@one.test").delayWarningsSent()).isEqualTo(1);
        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(metrics.calls()).containsOnlyOnce("report delayed");

        clock.advance(Duration.ofHours(2));
        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");
        assertThat(reportSender.sent()).as("no second report before the next mark (1d)").hasSize(1);

        clock.advance(Duration.ofHours(18));
        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");
        assertThat(reportSender.sent()).as("the 1d mark").hasSize(2);
        assertThat(record(id, "bob@one.test").delayWarningsSent()).isEqualTo(2);
        assertThat(metrics.calls().stream().filter("report delayed"::equals)).hasSize(2);
    }

    @Test
    void aRecipientFailingAtTheEndOfItsLifetimeExpiresWithAFailureReport() throws Exception {
        UUID id = enqueue("alice@example.com", List.of(RecipientDsn.NONE), "bob@one.test");
        // all delay marks dealt with, so only the expiry can report
        store.overwrite(record(id, "bob@one.test").toBuilder().delayWarningsSent(2).build());
        clock.advance(Duration.ofDays(5));

        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.EXPIRED);
        assertThat(store.attempts(id, "bob@one.test").get(0).decision()).isEqualTo("EXPIRED");
        ParsedReport report = onlyReport();
        assertThat(report.header("Subject")).isEqualTo("Undelivered Mail Returned to Sender");
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("4.3.0");
        assertThat(report.recipientField("bob@one.test", "Will-Retry-Until")).isNull();
        assertThat(metrics.calls()).containsExactly("attempt temporary 4xx", "failed expired", "report failed");
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aRetryThatWouldPassTheLifetimeIsMadeWhenTheLifetimeEnds() {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        clock.advance(Duration.ofDays(5).minusSeconds(30));

        attempt(id, "bob@one.test", "451 4.3.0 Temporary local problem");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(record(id, "bob@one.test").nextAttemptAt()).isEqualTo(T0.plus(Duration.ofDays(5)));
    }

    // ------------------------------------------------------------------ claims

    @Test
    void anOutcomeForAClaimLostToAnotherNodeDoesNotOverwriteItsState() {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        StoredMessage message = store.message(id).orElseThrow();
        RecipientRecord seen = claimed(record(id, "bob@one.test"), T0.plus(Duration.ofMinutes(15)));
        // node-a's attempt outlived its claim; node-b took the recipient over
        clock.advance(Duration.ofMinutes(16));
        assertThat(store.claim(record(id, "bob@one.test"), "node-b", clock.instant().plus(Duration.ofMinutes(15))))
            .isTrue();

        recorder.record(message, "one.test", "mx", List.of(seen), List.of(outcome("bob@one.test", "451 4.3.0 later")));

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(bob.claimedBy()).contains("node-b");
        assertThat(bob.attempts()).isZero();
        assertThat(store.attempts(id, "bob@one.test")).as("the attempt itself is history all the same").hasSize(1);
        assertThat(store.hasContent(id)).isTrue();
    }

    @Test
    void aHeldRecipientExpiresWithoutAnAttemptWhenNobodyHoldsIt() throws Exception {
        UUID id = enqueue("alice@example.com", "bob@one.test");
        StoredMessage message = store.message(id).orElseThrow();
        RecipientRecord held = record(id, "bob@one.test").toBuilder().state(RecipientState.HELD)
            .nextAttemptAt(T0.plus(retry.maxLifetime())).build();
        assertThat(store.update(record(id, "bob@one.test"), held)).isTrue();
        clock.advance(retry.maxLifetime());

        recorder.expireWithoutAttempt(message, held, false, "held past the queue lifetime");

        assertThat(record(id, "bob@one.test").state()).isEqualTo(RecipientState.EXPIRED);
        assertThat(store.attempts(id, "bob@one.test")).as("no attempt was made").isEmpty();
        assertThat(onlyReport().recipientField("bob@one.test", "Status")).isEqualTo("4.4.7");
        assertThat(metrics.calls()).containsExactly("report failed", "failed expired");
        assertThat(store.hasContent(id)).isFalse();
    }
}
