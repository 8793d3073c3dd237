package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeliveryWorkerTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");

    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryQueueStore store = new InMemoryQueueStore();
    private final Deque<String> replies = new ArrayDeque<>();
    private final List<String> deliveredDomains = new ArrayList<>();
    private DeliveryWorker worker;

    @BeforeEach
    void setUp() {
        WorkerSettings settings = WorkerSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "node.id", "node-a", "retry.schedule", "1m,5m", "retry.maxLifetime", "1h")));
        worker = new DeliveryWorker(store, this::deliver, settings, clock, new DirectExecutor());
    }

    @AfterEach
    void tearDown() {
        worker.close();
    }

    /** Answers each recipient with the next scripted reply. */
    private List<RecipientOutcome> deliver(String domain, Envelope envelope, org.dispatchmail.core.delivery.MessageContent content) {
        deliveredDomains.add(domain);
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            outcomes.add(RecipientOutcome.fromReply(recipient, "mx." + domain, "192.0.2.1", "rcpt",
                SmtpReply.parse(List.of(replies.removeFirst()))));
        }
        return outcomes;
    }

    private UUID enqueue(String... recipients) {
        return store.enqueue(new NewMessage("mail-" + UUID.randomUUID(), "alice@example.com", List.of(recipients),
            "Subject: x\r\n\r\nbody\r\n".getBytes()), clock.instant());
    }

    private RecipientState state(UUID id, String recipient) {
        return store.recipient(id, recipient).orElseThrow().state();
    }

    @Test
    void aDueRecipientIsDeliveredOnceAndItsEntryRemoved() {
        UUID id = enqueue("bob@one.test");
        replies.add("250 2.0.0 ok");

        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);

        // the claim's own safety entry comes due later and finds the recipient done
        clock.advance(Duration.ofMinutes(20));
        assertThat(worker.pollOnce()).isZero();
        assertThat(store.attempts).hasSize(1);
        assertThat(store.dueCount()).isZero();
    }

    @Test
    void recipientsOfOneDomainShareATransactionAndOthersGetTheirOwn() {
        enqueue("a@one.test", "b@one.test", "c@two.test");
        replies.addAll(List.of("250 ok", "250 ok", "250 ok"));

        worker.pollOnce();

        assertThat(deliveredDomains).containsExactlyInAnyOrder("one.test", "two.test");
    }

    @Test
    void aTemporaryFailureIsRetriedOnTheScheduleAndAPermanentOneBounces() {
        UUID id = enqueue("bob@one.test", "carol@one.test");
        replies.addAll(List.of("451 4.3.0 later", "550 5.1.1 no such user"));

        worker.pollOnce();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DEFERRED);
        assertThat(store.recipient(id, "bob@one.test").orElseThrow().nextAttemptAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(state(id, "carol@one.test")).isEqualTo(RecipientState.BOUNCED);

        clock.advance(Duration.ofSeconds(59));
        assertThat(worker.pollOnce()).as("not due before the first delay").isZero();

        clock.advance(Duration.ofSeconds(1));
        replies.add("451 4.3.0 still later");
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(store.recipient(id, "bob@one.test").orElseThrow().nextAttemptAt())
            .as("second delay of the schedule").isEqualTo(T0.plusSeconds(60 + 300));

        clock.advance(Duration.ofMinutes(5));
        replies.add("250 2.0.0 ok");
        worker.pollOnce();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(store.recipient(id, "bob@one.test").orElseThrow().attempts()).isEqualTo(3);
    }

    @Test
    void aRecipientStillFailingAtTheEndOfItsLifetimeExpires() {
        UUID id = enqueue("bob@one.test");
        for (int i = 0; i < 20; i++) {
            replies.add("451 4.3.0 later");
        }
        worker.pollOnce();
        for (int minutes = 0; minutes < 70 && state(id, "bob@one.test") == RecipientState.DEFERRED; minutes++) {
            clock.advance(Duration.ofMinutes(1));
            worker.pollOnce();
        }
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.EXPIRED);
        // 1 + 1m, then every 5m: the attempt whose next retry would pass the 1h lifetime is the last
        assertThat(store.attempts.get(store.attempts.size() - 1).nextAttemptAt()).isEmpty();
        assertThat(store.attempts.get(store.attempts.size() - 1).attemptedAt()).isBefore(T0.plus(Duration.ofHours(1)));
    }

    @Test
    void aClaimThatRanOutIsTakenOverWhenItsEntryComesDue() {
        UUID id = enqueue("bob@one.test");
        // another node claimed it and died
        assertThat(store.claim(store.recipient(id, "bob@one.test").orElseThrow(), "dead-node",
            T0.plus(Duration.ofMinutes(15)))).isTrue();
        assertThat(worker.pollOnce()).as("held by a live claim").isZero();

        clock.advance(Duration.ofMinutes(15));
        replies.add("250 ok");
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(store.attempts.get(0).node()).isEqualTo("node-a");
    }

    @Test
    void theScheduleRepeatsItsLastDelay() {
        WorkerSettings settings = WorkerSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "retry.schedule", "1m,5m,1h")));
        assertThat(settings.delayAfter(1)).isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.delayAfter(2)).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.delayAfter(3)).isEqualTo(Duration.ofHours(1));
        assertThat(settings.delayAfter(9)).isEqualTo(Duration.ofHours(1));
    }

    /** Runs each delivery in the polling thread, so a poll has finished its work when it returns. */
    private static final class DirectExecutor extends AbstractExecutorService {
        private boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
