package org.dispatchmail.core.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.retry.RetryPolicy;

/**
 * What a greylisting prober that is done does for the recipients that waited for it, decided from what was read
 * and nothing else: which of them are tried earlier and when. Each is tried at its own first deferral + the window
 * the prober taught, or (without one) now but not before its own first probe; never later than it already was.
 */
final class WaiterRelease {

    /** A waiter and its recipient's record as read (empty when it is gone). */
    static final class Seen {
        private final Waiter waiter;
        private final Optional<RecipientRecord> record;

        Seen(Waiter waiter, Optional<RecipientRecord> record) {
            this.waiter = waiter;
            this.record = record;
        }
    }

    /** One recipient tried earlier: its record as read, and the same record due at the new time. */
    static final class Update {
        private final Waiter waiter;
        private final RecipientRecord seen;
        private final RecipientRecord after;

        private Update(Waiter waiter, RecipientRecord seen, Instant at) {
            this.waiter = waiter;
            this.seen = seen;
            this.after = seen.toBuilder().nextAttemptAt(at).build();
        }

        Waiter waiter() {
            return waiter;
        }

        RecipientRecord seen() {
            return seen;
        }

        RecipientRecord after() {
            return after;
        }
    }

    private final Map<UUID, List<Update>> byMessage;

    private WaiterRelease(Map<UUID, List<Update>> byMessage) {
        this.byMessage = byMessage;
    }

    /**
     * @param upperBound the upper bound of the window the prober taught, empty when it taught none
     */
    static WaiterRelease plan(List<Seen> waiters, Optional<Duration> upperBound, Instant now, RetryPolicy policy) {
        Map<UUID, List<Seen>> grouped = new LinkedHashMap<>();
        for (Seen seen : waiters) {
            grouped.computeIfAbsent(seen.waiter.messageId(), id -> new ArrayList<>()).add(seen);
        }
        Map<UUID, List<Update>> byMessage = new LinkedHashMap<>();
        for (Map.Entry<UUID, List<Seen>> message : grouped.entrySet()) {
            List<Update> updates = new ArrayList<>();
            // one time per first deferral: a message's recipients deferred together stay together
            Map<Instant, Instant> times = new HashMap<>();
            for (Seen seen : message.getValue()) {
                if (!stillWaiting(seen.record)) {
                    continue;
                }
                RecipientRecord record = seen.record.get();
                Instant at = times.computeIfAbsent(record.firstGreylistedAt().get(),
                    first -> policy.releasedAt(first, upperBound, now));
                // only ever earlier: a recipient already due sooner keeps its time
                if (at.isBefore(record.nextAttemptAt())) {
                    updates.add(new Update(seen.waiter, record, at));
                }
            }
            byMessage.put(message.getKey(), updates);
        }
        return new WaiterRelease(byMessage);
    }

    // Deferred after greylisting and claimed by nobody; anything else has moved on without the prober.
    private static boolean stillWaiting(Optional<RecipientRecord> seen) {
        return seen.isPresent() && seen.get().state() == RecipientState.DEFERRED && seen.get().claimedBy().isEmpty()
            && seen.get().firstGreylistedAt().isPresent() && seen.get().lastGreylistedAt().isPresent();
    }

    /** The messages that had waiters, in the order they were read: their waiter rows are removed. */
    List<UUID> messages() {
        return List.copyOf(byMessage.keySet());
    }

    /** The recipients of {@code messageId} to be tried earlier. */
    List<Update> updates(UUID messageId) {
        return byMessage.getOrDefault(messageId, List.of());
    }
}
