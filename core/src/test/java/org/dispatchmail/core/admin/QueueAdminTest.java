package org.dispatchmail.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.dsn.DsnMessageBuilder;
import org.dispatchmail.core.worker.DeliveryReports;
import org.dispatchmail.core.worker.InMemoryQueueStore;
import org.dispatchmail.core.worker.ParsedReport;
import org.dispatchmail.core.worker.RecordingMetrics;
import org.dispatchmail.core.worker.RecordingReportSender;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.queue.QueueSummary;

class QueueAdminTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final Duration LIFETIME = Duration.ofDays(5);

    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryQueueStore store = new InMemoryQueueStore(16, Duration.ofMinutes(1));
    private final RecordingReportSender reportSender = new RecordingReportSender();
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final QueueAdmin admin = new QueueAdmin(store, new DeliveryReports(reportSender, "mx.dispatch.test",
        DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE, metrics, clock), LIFETIME, clock);

    /** Enqueues now a message whose shard differs from the given ones. */
    private UUID enqueue(String sender, Set<Integer> avoidShards, String... recipients) {
        for (int i = 0; i < 10_000; i++) {
            String name = "mail-" + UUID.randomUUID();
            if (!avoidShards.contains(store.shardOf(CassandraQueueStore.messageId(name)))) {
                return store.enqueue(new NewMessage(name, sender, List.of(recipients),
                    "Subject: figures\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)), clock.instant());
            }
        }
        throw new AssertionError("every name fell into " + avoidShards);
    }

    private UUID enqueue(String sender, String... recipients) {
        return enqueue(sender, Set.of(), recipients);
    }

    private RecipientRecord record(UUID id, String recipient) {
        return store.recipient(id, recipient).orElseThrow();
    }

    private RecipientState state(UUID id, String recipient) {
        return record(id, recipient).state();
    }

    /** An attempt by node-a that deferred the recipient until {@code next}. */
    private void defer(UUID id, String recipient, Instant next) {
        RecipientRecord seen = record(id, recipient);
        assertThat(store.claim(seen, "node-a", clock.instant().plus(Duration.ofMinutes(15)))).isTrue();
        RecipientOutcome outcome = RecipientOutcome.fromReply(recipient, "mx.example", "192.0.2.9",
            AttemptStage.RCPT, SmtpReply.parse(List.of("451 4.3.0 Temporary local problem")));
        assertThat(store.complete(new AttemptRecord(id, "node-a", record(id, recipient).claimToken().orElseThrow(),
            clock.instant(), outcome, RecipientState.DEFERRED,
            Optional.of(next)), seen.toBuilder().state(RecipientState.DEFERRED).attempts(1).nextAttemptAt(next)
            .lastResult(Optional.of(outcome.describe())).build())).isTrue();
    }

    private void deliver(UUID id, String recipient) {
        RecipientRecord seen = record(id, recipient);
        assertThat(store.claim(seen, "node-a", clock.instant().plus(Duration.ofMinutes(15)))).isTrue();
        RecipientOutcome outcome = RecipientOutcome.fromReply(recipient, "mx.example", "192.0.2.9",
            AttemptStage.RCPT, SmtpReply.parse(List.of("250 ok")));
        assertThat(store.complete(new AttemptRecord(id, "node-a", record(id, recipient).claimToken().orElseThrow(),
            clock.instant(), outcome, RecipientState.DELIVERED,
            Optional.empty()), seen.toBuilder().state(RecipientState.DELIVERED).attempts(1).build())).isTrue();
    }

    /** Another node took the recipient for an attempt that is still running. */
    private void inFlight(UUID id, String recipient) {
        assertThat(store.claim(record(id, recipient), "node-b", clock.instant().plus(Duration.ofMinutes(15))))
            .isTrue();
    }

    private static List<String> recipients(List<QueueEntry> entries) {
        return entries.stream().map(e -> e.recipient().recipient()).collect(Collectors.toList());
    }

    // ------------------------------------------------------------------ summary and lists

    @Test
    void theSummaryCountsUnfinishedRecipientsByDomainStateAndAge() {
        clock.advance(Duration.ofHours(-2));
        UUID old = enqueue("alice@example.com", "a@one.test", "b@one.test", "c@two.test");
        defer(old, "b@one.test", T0.plus(Duration.ofMinutes(10)));
        deliver(old, "c@two.test");
        clock.advance(Duration.ofHours(2).minusMinutes(3));
        UUID recent = enqueue("alice@example.com", Set.of(store.shardOf(old)), "d@one.test", "e@two.test");
        inFlight(recent, "e@two.test");
        assertThat(admin.hold(QueueSelector.message(recent)).changed()).isEqualTo(1);
        clock.advance(Duration.ofMinutes(3));

        QueueSummary summary = admin.summary();

        assertThat(summary.byState()).isEqualTo(Map.of(
            "one.test", Map.of("pending", 1, "deferred", 1, "held", 1),
            "two.test", Map.of("in_flight", 1)));
        assertThat(summary.totalsByState()).isEqualTo(Map.of("pending", 1, "deferred", 1, "held", 1,
            "in_flight", 1));
        // buckets: <5, <10, <20, <40, <80, <160 ... minutes
        assertThat(summary.byAge().get("one.test")).containsExactly(1, 0, 0, 0, 0, 2, 0, 0, 0, 0);
        assertThat(summary.byAge().get("two.test")).containsExactly(1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThat(summary.total()).isEqualTo(4);
        assertThat(summary.oldest()).isEqualTo(Duration.ofHours(2));

        QueueSummary oneShard = admin.summary(List.of(store.shardOf(old)));
        assertThat(oneShard.total()).as("the shards asked for only").isEqualTo(2);
        assertThat(oneShard.byState()).isEqualTo(Map.of("one.test", Map.of("pending", 1, "deferred", 1)));
    }

    @Test
    void finishedMessagesLeaveTheSummary() {
        UUID id = enqueue("alice@example.com", "a@one.test");
        deliver(id, "a@one.test");
        store.finish(id);

        assertThat(admin.summary().total()).isZero();
        assertThat(admin.list(QueueSelector.all(), Optional.empty(), Optional.empty(), 100)).isEmpty();
        assertThat(admin.message(id)).as("still shown while its history is kept").isPresent();
    }

    @Test
    void listsFilterByStateDomainSenderAndLimitOldestFirst() {
        UUID first = enqueue("alice@example.com", "a@one.test", "b@two.test");
        clock.advance(Duration.ofMinutes(1));
        UUID second = enqueue("carol@example.org", "c@one.test", "d@one.test");
        defer(second, "d@one.test", T0.plus(Duration.ofMinutes(30)));
        deliver(first, "b@two.test");

        assertThat(recipients(admin.list(QueueSelector.all(), Optional.empty(), Optional.empty(), 100)))
            .as("unfinished ones, oldest message first").containsExactly("a@one.test", "c@one.test", "d@one.test");
        assertThat(recipients(admin.list(QueueSelector.all(), Optional.of(RecipientState.DEFERRED), Optional.empty(),
            100))).containsExactly("d@one.test");
        assertThat(recipients(admin.list(QueueSelector.all(), Optional.of(RecipientState.DELIVERED), Optional.empty(),
            100))).as("final ones when asked for").containsExactly("b@two.test");
        assertThat(recipients(admin.list(QueueSelector.domain("ONE.test"), Optional.empty(), Optional.empty(), 100)))
            .containsExactly("a@one.test", "c@one.test", "d@one.test");
        assertThat(recipients(admin.list(QueueSelector.domain("two.test"), Optional.empty(), Optional.empty(), 100)))
            .isEmpty();
        assertThat(recipients(admin.list(QueueSelector.all(), Optional.empty(), Optional.of("Carol@example.org"),
            100))).containsExactly("c@one.test", "d@one.test");
        assertThat(recipients(admin.list(QueueSelector.message(second), Optional.empty(), Optional.empty(), 100)))
            .containsExactly("c@one.test", "d@one.test");
        assertThat(recipients(admin.list(QueueSelector.all(), Optional.empty(), Optional.empty(), 2)))
            .containsExactly("a@one.test", "c@one.test");
        List<QueueEntry> entries = admin.list(QueueSelector.all(), Optional.empty(), Optional.empty(), 1);
        assertThat(entries.get(0).message().id()).isEqualTo(first);
        assertThat(entries.get(0).message().sender()).isEqualTo("alice@example.com");
    }

    // ------------------------------------------------------------------ commands

    @Test
    void retryNowMakesWaitingRecipientsDueNowAndLeavesInFlightOnesAlone() {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@one.test", "c@one.test", "d@one.test");
        defer(id, "a@one.test", T0.plus(Duration.ofHours(1)));
        defer(id, "b@one.test", T0.plus(Duration.ofHours(2)));
        inFlight(id, "c@one.test");
        deliver(id, "d@one.test");
        clock.advance(Duration.ofMinutes(5));
        Instant now = clock.instant();

        QueueAdmin.ChangeCount count = admin.retryNow(QueueSelector.message(id));

        assertThat(count.changed()).isEqualTo(2);
        assertThat(count.skipped()).as("the one in flight; the final one is not counted").isEqualTo(1);
        for (String recipient : List.of("a@one.test", "b@one.test")) {
            assertThat(state(id, recipient)).isEqualTo(RecipientState.DEFERRED);
            assertThat(record(id, recipient).nextAttemptAt()).isEqualTo(now);
            assertThat(record(id, recipient).attempts()).isEqualTo(1);
            assertThat(store.dueTimes(id, recipient)).as("indexed at once").contains(now);
        }
        assertThat(record(id, "c@one.test").claimedBy()).contains("node-b");
        assertThat(state(id, "c@one.test")).isEqualTo(RecipientState.IN_FLIGHT);
    }

    @Test
    void retryNowByDomainTouchesThatDomainOnly() {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@two.test");
        defer(id, "a@one.test", T0.plus(Duration.ofHours(1)));
        defer(id, "b@two.test", T0.plus(Duration.ofHours(1)));

        assertThat(admin.retryNow(QueueSelector.domain("two.test")).changed()).isEqualTo(1);

        assertThat(record(id, "a@one.test").nextAttemptAt()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(record(id, "b@two.test").nextAttemptAt()).isEqualTo(T0);
    }

    @Test
    void holdIndexesAtTheLifetimeEndAndReleaseMakesDueNow() {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@one.test", "c@one.test");
        defer(id, "b@one.test", T0.plus(Duration.ofHours(1)));
        inFlight(id, "c@one.test");
        clock.advance(Duration.ofMinutes(10));

        QueueAdmin.ChangeCount held = admin.hold(QueueSelector.all());

        assertThat(held.changed()).isEqualTo(2);
        assertThat(held.skipped()).isEqualTo(1);
        for (String recipient : List.of("a@one.test", "b@one.test")) {
            assertThat(state(id, recipient)).isEqualTo(RecipientState.HELD);
            assertThat(record(id, recipient).nextAttemptAt()).isEqualTo(T0.plus(LIFETIME));
            assertThat(store.dueTimes(id, recipient)).contains(T0.plus(LIFETIME));
        }
        assertThat(admin.retryNow(QueueSelector.all()).changed()).as("retry now does not undo a hold").isZero();

        clock.advance(Duration.ofMinutes(10));
        Instant now = clock.instant();
        QueueAdmin.ChangeCount released = admin.release(QueueSelector.message(id));

        assertThat(released.changed()).isEqualTo(2);
        assertThat(released.skipped()).isEqualTo(1);
        for (String recipient : List.of("a@one.test", "b@one.test")) {
            assertThat(state(id, recipient)).isEqualTo(RecipientState.DEFERRED);
            assertThat(record(id, recipient).nextAttemptAt()).isEqualTo(now);
            assertThat(store.dueTimes(id, recipient)).contains(now);
        }
        assertThat(state(id, "c@one.test")).isEqualTo(RecipientState.IN_FLIGHT);
    }

    @Test
    void bounceNowLeavesAnInFlightRecipientAloneAndCountsIt() {
        UUID id = enqueue("alice@example.com", "a@one.test", "c@one.test");
        inFlight(id, "c@one.test");

        QueueAdmin.ChangeCount count = admin.bounceNow(QueueSelector.message(id), "removed by the postmaster");

        assertThat(count.changed()).isEqualTo(1);
        assertThat(count.skipped()).isEqualTo(1);
        assertThat(state(id, "c@one.test")).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(store.hasContent(id)).as("one recipient is still in flight").isTrue();
    }

    @Test
    void bounceNowReportsWithStatus500AndFinishesTheMessage() throws Exception {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@one.test", "c@one.test");
        defer(id, "b@one.test", T0.plus(Duration.ofHours(1)));
        deliver(id, "c@one.test");

        QueueAdmin.ChangeCount count = admin.bounceNow(QueueSelector.message(id), "removed by the postmaster");

        assertThat(count.changed()).isEqualTo(2);
        assertThat(state(id, "a@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(state(id, "b@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(record(id, "a@one.test").lastResult()).contains("5.0.0 removed by the postmaster");
        assertThat(state(id, "c@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(reportSender.sent()).hasSize(1);
        assertThat(reportSender.sent().get(0).recipient()).isEqualTo("alice@example.com");
        ParsedReport report = ParsedReport.parse(reportSender.sent().get(0).bytes());
        assertThat(report.finalRecipients()).containsExactly("a@one.test", "b@one.test");
        for (String recipient : List.of("a@one.test", "b@one.test")) {
            assertThat(report.recipientField(recipient, "Action")).isEqualTo("failed");
            assertThat(report.recipientField(recipient, "Status")).isEqualTo("5.0.0");
        }
        assertThat(metrics.calls()).containsExactly("report failed");
        assertThat(store.hasContent(id)).as("every recipient is final: finished").isFalse();
        assertThat(admin.summary().total()).isZero();
        assertThatThrownBy(() -> {
            try (InputStream in = store.message(id).orElseThrow().content().open()) {
                in.read();
            }
        }).as("the content is gone").isInstanceOf(RuntimeException.class);
    }

    @Test
    void bounceNowLeavesAnInFlightRecipientAndTheMessageUnfinished() {
        UUID id = enqueue("alice@example.com", "a@one.test", "b@one.test");
        inFlight(id, "b@one.test");

        QueueAdmin.ChangeCount count = admin.bounceNow(QueueSelector.message(id), "removed");

        assertThat(count.changed()).isEqualTo(1);
        assertThat(state(id, "a@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(state(id, "b@one.test")).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(store.hasContent(id)).as("b's attempt still needs the content").isTrue();
        assertThat(reportSender.sent()).hasSize(1);
    }

    @Test
    void bounceNowHonoursTheNullSender() {
        UUID id = enqueue("", "a@one.test");

        assertThat(admin.bounceNow(QueueSelector.all(), "removed").changed()).isEqualTo(1);

        assertThat(state(id, "a@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(reportSender.sent()).isEmpty();
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void deleteRemovesTheMessageItsRecipientsAndItsHistory() {
        UUID gone = enqueue("alice@example.com", "a@one.test", "b@one.test");
        defer(gone, "a@one.test", T0.plus(Duration.ofHours(1)));
        UUID kept = enqueue("alice@example.com", "c@two.test");

        QueueAdmin.ChangeCount count = admin.delete(QueueSelector.domain("one.test"));

        assertThat(count.changed()).isEqualTo(1);
        assertThat(admin.message(gone)).isEmpty();
        assertThat(admin.recipients(gone)).isEmpty();
        assertThat(admin.attempts(gone, "a@one.test")).isEmpty();
        assertThat(store.hasContent(gone)).isFalse();
        assertThat(reportSender.sent()).as("deleted without a report").isEmpty();
        assertThat(recipients(admin.list(QueueSelector.all(), Optional.empty(), Optional.empty(), 100)))
            .containsExactly("c@two.test");
        assertThat(admin.message(kept)).isPresent();

        assertThat(admin.delete(QueueSelector.message(kept)).changed()).isEqualTo(1);
        assertThat(admin.summary().total()).isZero();
    }

    @Test
    void aChangeOnAnInFlightRecipientIsCountedAsSkipped() {
        UUID id = enqueue("alice@example.com", "a@one.test");
        inFlight(id, "a@one.test");
        RecipientRecord before = record(id, "a@one.test");

        assertThat(admin.retryNow(QueueSelector.all()).skipped()).isEqualTo(1);
        assertThat(admin.hold(QueueSelector.all()).skipped()).isEqualTo(1);
        assertThat(admin.release(QueueSelector.all()).skipped()).isEqualTo(1);

        RecipientRecord after = record(id, "a@one.test");
        assertThat(after.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(after.claimedBy()).isEqualTo(before.claimedBy());
        assertThat(after.nextAttemptAt()).isEqualTo(before.nextAttemptAt());
    }

    @Test
    void aRecipientChangedMeanwhileIsSkippedNotOverwritten() {
        UUID id = enqueue("alice@example.com", "a@one.test");
        RecipientRecord seen = record(id, "a@one.test");
        inFlight(id, "a@one.test");

        // what the admin's compare-and-set does with a record read before a worker claimed it
        assertThat(store.update(seen, seen.toBuilder().state(RecipientState.HELD).build())).isFalse();
        assertThat(state(id, "a@one.test")).isEqualTo(RecipientState.IN_FLIGHT);
    }
}
