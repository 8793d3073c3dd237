package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the claims of one message's attempt alive while it runs: every third of queue.claimDuration each claim
 * not yet written back is extended to a full claim from now, under its token. One transaction ends within
 * delivery.transactionTimeout, but an attempt may try several servers and destinations in turn. A claim the
 * store refuses to extend was lost (it ran out and another node took it, or it was taken again): the attempt's
 * outcome for that recipient is then not written, since the recipient's state is no longer this attempt's.
 */
final class ClaimRenewal {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.dispatchmail.delivery");

    /** Runs a task every period until closed: a scheduler in production, cranked by hand in tests. */
    @FunctionalInterface
    interface Repeater {
        Repeating every(Duration period, Runnable task);

        static Repeater on(ScheduledExecutorService scheduler) {
            return (period, task) -> {
                ScheduledFuture<?> future = scheduler.scheduleAtFixedRate(task, period.toMillis(), period.toMillis(),
                    TimeUnit.MILLISECONDS);
                return () -> future.cancel(false);
            };
        }
    }

    /** A repeated task; closing it stops it. */
    interface Repeating extends AutoCloseable {
        @Override
        void close();
    }

    private final QueueStore store;
    private final Duration claimDuration;
    private final Clock clock;
    private final UUID messageId;
    /** Claims held and not yet handed to the recorder, by recipient. */
    private final Map<String, RecipientRecord> held = new LinkedHashMap<>();
    private final List<String> lost = new ArrayList<>();

    ClaimRenewal(QueueStore store, Duration claimDuration, Clock clock, List<RecipientRecord> claimed) {
        this.store = store;
        this.claimDuration = claimDuration;
        this.clock = clock;
        this.messageId = claimed.get(0).messageId();
        claimed.forEach(record -> held.put(record.recipient(), record));
    }

    /** How often claims are renewed: a third of a claim, so two renewals can fail before it runs out. */
    static Duration period(Duration claimDuration) {
        return claimDuration.dividedBy(3);
    }

    /** Extends every claim still held; notes those lost. Never throws: the next round tries again. */
    synchronized void renew() {
        if (held.isEmpty()) {
            return;
        }
        try {
            for (String recipient : store.renew(new ArrayList<>(held.values()), clock.instant().plus(claimDuration))) {
                held.remove(recipient);
                lost.add(recipient);
                LOGGER.warn("queue={} rcpt={}: claim lost while the attempt ran (its renewal was refused: taken over"
                    + " or taken again); this attempt's outcome will not be written", messageId, recipient);
            }
        } catch (RuntimeException e) {
            // Cassandra away: the claim may still hold at the next round; if not, the outcome write is refused
            LOGGER.warn("queue={}: could not renew the claims of {} recipients: {}", messageId, held.size(),
                e.getMessage());
        }
    }

    /**
     * Stops renewing {@code records}: their outcome is about to be written. Returns the positions (in
     * {@code records}) of those whose claim still holds as far as renewals know.
     */
    synchronized List<Integer> handOver(List<RecipientRecord> records) {
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            if (held.remove(records.get(i).recipient()) != null) {
                kept.add(i);
            }
        }
        return kept;
    }

    /** Recipients whose claim was lost so far. */
    synchronized List<String> lost() {
        return List.copyOf(lost);
    }
}
