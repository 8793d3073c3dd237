package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.dsn.DsnMessageBuilder;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.junit.jupiter.api.Test;

/** One prober per destination domain (retry.greylist.singleProber), through {@link OutcomeRecorder}. */
class GreylistProbingTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final String POSTGREY = "450 4.2.0 <%s>: Recipient address rejected: Greylisted,"
        + " see http://postgrey.schweikert.ch/help/one.test.html";

    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryQueueStore store = new InMemoryQueueStore(16, Duration.ofMinutes(1));
    private final InMemoryGreylistMemory memory = new InMemoryGreylistMemory(clock);
    private final RecordingMetrics metrics = new RecordingMetrics();
    private RetrySettings retry;
    private OutcomeRecorder recorder;

    GreylistProbingTest() {
        // no jitter on delays; a release without a window adds none either (maxJitter 0)
        use("retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.greylist.maxJitter", "0s");
    }

    private void use(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        // probes at 35, 65, 190, 310, 610, 910 and 1810 s, as the expectations below are written
        values.put("retry.greylist.probes", "35s,30s,125s,120s,300s,300s,900s");
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        retry = RetrySettings.from(new ConfigReader("dispatch.properties", values));
        recorder = new OutcomeRecorder(store, memory, new RetryPolicy(retry, new Random(3)), retry,
            new DeliveryReports(new RecordingReportSender(), "mx.dispatch.test",
                DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE, metrics, clock), metrics, "node-a", clock);
    }

    private UUID enqueue(String... recipients) {
        return store.enqueue(new NewMessage("mail-" + UUID.randomUUID(), "alice@example.com", List.of(recipients),
            "Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII), MessageDsn.NONE,
            Collections.nCopies(recipients.length, RecipientDsn.NONE)), clock.instant());
    }

    /** One transaction of the given message: every listed recipient gets the same reply ("grey" for postgrey's). */
    private void attempt(UUID id, String reply, String... recipients) {
        StoredMessage message = store.message(id).orElseThrow();
        List<RecipientRecord> seen = new ArrayList<>();
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : recipients) {
            RecipientRecord record = store.recipient(id, recipient).orElseThrow();
            seen.add(claimed(record, clock.instant().plus(Duration.ofMinutes(15))));
            String line = reply.equals("grey") ? String.format(POSTGREY, recipient) : reply;
            outcomes.add(RecipientOutcome.fromReply(recipient, "mx.one.test", "192.0.2.7", AttemptStage.RCPT,
                SmtpReply.parse(List.of(line))));
        }
        recorder.record(message, "one.test", "mx", seen, outcomes);
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

    private void at(Instant t) {
        clock.advance(Duration.between(clock.instant(), t));
    }

    @Test
    void theFirstGreylistedMessageProbesAndTheOthersWaitUntilTheirLastProbe() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        assertThat(memory.prober("one.test")).contains(new Prober(prober, T0));
        assertThat(record(prober, "bob@one.test").nextAttemptAt()).as("the first probe").isEqualTo(T0.plusSeconds(35));

        clock.advance(Duration.ofSeconds(2));
        Instant second = clock.instant();
        UUID waiter = enqueue("carol@one.test", "dave@one.test");
        attempt(waiter, "grey", "carol@one.test", "dave@one.test");

        assertThat(memory.prober("one.test")).as("chosen once").contains(new Prober(prober, T0));
        for (String recipient : List.of("carol@one.test", "dave@one.test")) {
            RecipientRecord r = record(waiter, recipient);
            assertThat(r.state()).isEqualTo(RecipientState.DEFERRED);
            assertThat(r.nextAttemptAt()).as("fallback: first deferral + the last probe offset")
                .isEqualTo(second.plusSeconds(1810));
            assertThat(r.greylistAttempts()).isEqualTo(1);
            assertThat(r.firstGreylistedAt()).contains(second);
            assertThat(store.dueTimes(waiter, recipient)).contains(second.plusSeconds(1810));
        }
        assertThat(memory.waiters("one.test")).containsExactly(new Waiter(waiter, "carol@one.test"),
            new Waiter(waiter, "dave@one.test"));
        assertThat(metrics.calls()).as("waiting counts as a greylisted deferral")
            .containsExactly("attempt temporary 4xx", "greylisted", "attempt temporary 4xx", "greylisted",
                "attempt temporary 4xx", "greylisted");

        // the prober's next probe keeps the role
        at(T0.plusSeconds(35));
        attempt(prober, "grey", "bob@one.test");
        assertThat(record(prober, "bob@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(65));
        assertThat(memory.prober("one.test")).contains(new Prober(prober, T0));
    }

    @Test
    void theProbersDeliveryReleasesTheWaitersAtTheirFirstDeferralPlusTheLearnedUpperBound() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        clock.advance(Duration.ofSeconds(3));
        Instant firstOfWaiter = clock.instant();
        UUID waiter = enqueue("carol@one.test", "dave@one.test");
        attempt(waiter, "grey", "carol@one.test", "dave@one.test");
        clock.advance(Duration.ofSeconds(5));
        Instant firstOfOther = clock.instant();
        UUID other = enqueue("erin@one.test");
        attempt(other, "grey", "erin@one.test");
        UUID unrelated = enqueue("frank@one.test");
        attempt(unrelated, "451 4.3.0 Temporary local problem", "frank@one.test");

        at(T0.plusSeconds(35));
        attempt(prober, "grey", "bob@one.test");
        at(T0.plusSeconds(65));
        attempt(prober, "250 2.0.0 ok", "bob@one.test");

        assertThat(memory.window("one.test").orElseThrow().upper()).isEqualTo(Duration.ofSeconds(65));
        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).isEqualTo(firstOfWaiter.plusSeconds(65));
        assertThat(record(waiter, "dave@one.test").nextAttemptAt()).isEqualTo(firstOfWaiter.plusSeconds(65));
        assertThat(store.dueTimes(waiter, "carol@one.test")).as("indexed again").contains(firstOfWaiter.plusSeconds(65));
        assertThat(record(other, "erin@one.test").nextAttemptAt()).isEqualTo(firstOfOther.plusSeconds(65));
        assertThat(record(unrelated, "frank@one.test").nextAttemptAt()).as("not a waiter: untouched")
            .isEqualTo(T0.plusSeconds(8 + 60));
        assertThat(memory.waiters("one.test")).isEmpty();
        assertThat(memory.prober("one.test")).isEmpty();

        // the waiters' second attempt passes: two attempts each
        at(firstOfWaiter.plusSeconds(65));
        attempt(waiter, "250 2.0.0 ok", "carol@one.test", "dave@one.test");
        assertThat(record(waiter, "carol@one.test").state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(record(waiter, "carol@one.test").attempts()).isEqualTo(2);
        assertThat(record(waiter, "dave@one.test").attempts()).isEqualTo(2);
        assertThat(memory.window("one.test").orElseThrow().upper()).as("the waiter taught nothing narrower")
            .isEqualTo(Duration.ofSeconds(65));
    }

    @Test
    void aReleaseNeverPostponesAWaiterAlreadyDueSooner() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        UUID waiter = enqueue("carol@one.test");
        attempt(waiter, "grey", "carol@one.test");
        // an admin's retry made it due at once
        RecipientRecord carol = record(waiter, "carol@one.test");
        assertThat(store.update(carol, carol.toBuilder().nextAttemptAt(T0.plusSeconds(10)).build())).isTrue();

        at(T0.plusSeconds(35));
        attempt(prober, "250 2.0.0 ok", "bob@one.test");

        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(10));
        assertThat(memory.waiters("one.test")).isEmpty();
    }

    @Test
    void aProberThatBouncesReleasesTheWaitersAtOnceAndOneOfThemProbesNext() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        clock.advance(Duration.ofSeconds(2));
        Instant firstOfWaiter = clock.instant();
        UUID waiter = enqueue("carol@one.test");
        attempt(waiter, "grey", "carol@one.test");
        UUID another = enqueue("dave@one.test");
        attempt(another, "grey", "dave@one.test");

        at(T0.plusSeconds(35));
        attempt(prober, "550 5.1.1 <bob@one.test>: user unknown", "bob@one.test");

        assertThat(record(waiter, "carol@one.test").nextAttemptAt())
            .as("at once, but not before its own first probe").isEqualTo(firstOfWaiter.plusSeconds(35));
        assertThat(record(another, "dave@one.test").nextAttemptAt()).isEqualTo(firstOfWaiter.plusSeconds(35));
        assertThat(memory.prober("one.test")).isEmpty();
        assertThat(memory.waiters("one.test")).isEmpty();

        // still greylisted: the first one tried becomes the prober, on its own probe schedule; the other waits
        at(firstOfWaiter.plusSeconds(35));
        attempt(waiter, "grey", "carol@one.test");
        assertThat(memory.prober("one.test").orElseThrow().messageId()).isEqualTo(waiter);
        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).isEqualTo(firstOfWaiter.plusSeconds(65));
        attempt(another, "grey", "dave@one.test");
        assertThat(record(another, "dave@one.test").nextAttemptAt()).isEqualTo(firstOfWaiter.plusSeconds(1810));
        assertThat(memory.waiters("one.test")).containsExactly(new Waiter(another, "dave@one.test"));
    }

    @Test
    void aProberDeferredForAnotherReasonReleasesTheWaiters() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        UUID waiter = enqueue("carol@one.test");
        attempt(waiter, "grey", "carol@one.test");

        at(T0.plusSeconds(35));
        attempt(prober, "452 4.2.2 Mailbox full", "bob@one.test");

        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(35));
        assertThat(memory.prober("one.test")).isEmpty();
    }

    @Test
    void aProberThatUsedItsProbesReleasesTheWaiters() {
        use("retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.greylist.maxJitter", "0s",
            "retry.greylist.maxProbes", "3");
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        UUID waiter = enqueue("carol@one.test");
        clock.advance(Duration.ofSeconds(1));
        attempt(waiter, "grey", "carol@one.test");
        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).as("the third probe is its last")
            .isEqualTo(T0.plusSeconds(1 + 190));

        for (int probe : new int[] {35, 65}) {
            at(T0.plusSeconds(probe));
            attempt(prober, "grey", "bob@one.test");
            assertThat(memory.prober("one.test")).isPresent();
        }
        at(T0.plusSeconds(190));
        attempt(prober, "grey", "bob@one.test");

        assertThat(record(prober, "bob@one.test").nextAttemptAt()).as("the schedule now")
            .isAfter(T0.plusSeconds(190 + 60));
        assertThat(memory.prober("one.test")).isEmpty();
        assertThat(record(waiter, "carol@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(190));
    }

    @Test
    void aProberRowExpiresAfterTheProbeSpanSoAVanishedProberFreesTheRole() {
        UUID prober = enqueue("bob@one.test");
        attempt(prober, "grey", "bob@one.test");
        // the message is never attempted again (say an admin deleted it)
        clock.advance(retry.lastProbeOffset().plus(retry.greylistMaxJitter()).plus(GreylistProbing.ROW_MARGIN)
            .minusSeconds(1));
        assertThat(memory.prober("one.test")).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(memory.prober("one.test")).isEmpty();

        UUID next = enqueue("carol@one.test");
        attempt(next, "grey", "carol@one.test");
        assertThat(memory.prober("one.test").orElseThrow().messageId()).isEqualTo(next);
        assertThat(record(next, "carol@one.test").nextAttemptAt()).isEqualTo(clock.instant().plusSeconds(35));
    }

    @Test
    void withSingleProberOffEveryMessageProbes() {
        use("retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.greylist.singleProber", "false");
        UUID first = enqueue("bob@one.test");
        attempt(first, "grey", "bob@one.test");
        clock.advance(Duration.ofSeconds(2));
        UUID second = enqueue("carol@one.test");
        attempt(second, "grey", "carol@one.test");

        assertThat(record(second, "carol@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(2 + 35));
        assertThat(memory.prober("one.test")).isEmpty();
        assertThat(memory.waiters("one.test")).isEmpty();
    }

    @Test
    void recipientsDeferredAlikeInOneTransactionShareOneRetryTime() {
        use(); // the shipped jitter: 10% of schedule delays, 10% (at most 15 s) of greylisting delays
        UUID grey = enqueue("a@one.test", "b@one.test", "c@one.test", "d@one.test");
        attempt(grey, "grey", "a@one.test", "b@one.test", "c@one.test", "d@one.test");
        Instant probe = record(grey, "a@one.test").nextAttemptAt();
        assertThat(probe).isBetween(T0.plusSeconds(35), T0.plusSeconds(35).plusMillis(3500));
        for (String r : List.of("b@one.test", "c@one.test", "d@one.test")) {
            assertThat(record(grey, r).nextAttemptAt()).as(r).isEqualTo(probe);
        }

        UUID waiting = enqueue("e@one.test", "f@one.test", "g@one.test");
        attempt(waiting, "grey", "e@one.test", "f@one.test", "g@one.test");
        Instant fallback = record(waiting, "e@one.test").nextAttemptAt();
        assertThat(fallback).isBetween(T0.plusSeconds(1810), T0.plusSeconds(1810 + 15));
        assertThat(record(waiting, "f@one.test").nextAttemptAt()).isEqualTo(fallback);
        assertThat(record(waiting, "g@one.test").nextAttemptAt()).isEqualTo(fallback);

        UUID full = enqueue("h@two.test", "i@two.test", "j@two.test");
        attempt(full, "452 4.2.2 Mailbox full", "h@two.test", "i@two.test", "j@two.test");
        Instant scheduled = record(full, "h@two.test").nextAttemptAt();
        assertThat(scheduled).isBetween(T0.plusSeconds(60), T0.plusSeconds(66));
        assertThat(record(full, "i@two.test").nextAttemptAt()).isEqualTo(scheduled);
        assertThat(record(full, "j@two.test").nextAttemptAt()).isEqualTo(scheduled);
    }

    /**
     * The goal, simulated: a greylister that defers each new triplet for D seconds after its first attempt
     * (no hint), and 20 messages of one recipient each, one every 10 s, to one domain. Over all of them,
     * p95 of (delivery - first attempt - D) is at most 60 s and p95 of the attempts at most 4: the prober
     * alone pays the probes, every other recipient is delivered at its second attempt. (The waiters inherit the
     * prober's precision: for a D between two probes, say 450 s, the prober passes at the next probe, 610 s,
     * and the waiters at their first deferral + about 610 s too.)
     */
    @Test
    void onlyTheProberPaysTheProbesAndTheOthersAreDeliveredAtTheirSecondAttempt() {
        for (long d : new long[] {30, 60, 180, 300, 600, 900}) {
            use(); // shipped settings, jitter included
            String domain = "one.test";
            Instant start = clock.instant();
            List<UUID> messages = new ArrayList<>();
            Map<UUID, Instant> firstAttempt = new HashMap<>();
            for (int i = 0; i < 20; i++) {
                UUID id = store.enqueue(new NewMessage("m-" + d + "-" + i, "alice@example.com", List.of("r" + i + "-" + d + "@" + domain),
                    "x\r\n".getBytes(StandardCharsets.US_ASCII), MessageDsn.NONE, List.of(RecipientDsn.NONE)),
                    start.plusSeconds(10L * i));
                messages.add(id);
            }
            Map<UUID, Instant> deliveredAt = new HashMap<>();
            while (deliveredAt.size() < messages.size()) {
                // the next recipient due (enqueued ones are due when queued)
                RecipientRecord next = null;
                for (UUID id : messages) {
                    RecipientRecord r = store.recipients(id).get(0);
                    if (!r.state().isFinal() && (next == null || r.nextAttemptAt().isBefore(next.nextAttemptAt()))) {
                        next = r;
                    }
                }
                assertThat(next).isNotNull();
                if (next.nextAttemptAt().isAfter(clock.instant())) {
                    at(next.nextAttemptAt());
                }
                UUID id = next.messageId();
                firstAttempt.putIfAbsent(id, clock.instant());
                boolean passes = !clock.instant().isBefore(firstAttempt.get(id).plusSeconds(d));
                attempt(id, passes ? "250 2.0.0 ok" : "grey", next.recipient());
                if (passes) {
                    deliveredAt.put(id, clock.instant());
                }
            }
            List<Long> over = new ArrayList<>();
            List<Integer> attempts = new ArrayList<>();
            int probing = 0;
            for (UUID id : messages) {
                over.add(Duration.between(firstAttempt.get(id).plusSeconds(d), deliveredAt.get(id)).getSeconds());
                int n = store.recipients(id).get(0).attempts();
                attempts.add(n);
                if (n > 2) {
                    probing++;
                }
            }
            Collections.sort(over);
            Collections.sort(attempts);
            // nearest rank: the 19th of 20
            assertThat(over.get(18)).as("p95 over for D=%ds: %s", d, over).isLessThanOrEqualTo(60);
            assertThat(attempts.get(18)).as("p95 attempts for D=%ds: %s", d, attempts).isLessThanOrEqualTo(4);
            assertThat(attempts.get(0)).as("D=%ds", d).isEqualTo(2);
            assertThat(probing).as("messages that probed beyond two attempts for D=%ds", d).isLessThanOrEqualTo(1);
            clock.advance(retry.learnedWindowTtl().plusDays(1));
        }
    }
}
