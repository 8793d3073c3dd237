package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds due recipients in the shared queue, claims them, delivers them and writes back what
 * happened. Every node runs one; claims make sure two nodes never attempt the same recipient at
 * the same time, and a claim that runs out (its node died) is taken over.
 */
public final class DeliveryWorker implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryWorker.class);
    /** An index entry whose recipient row never appeared belongs to a hand-over that failed. */
    private static final Duration ORPHAN_GRACE = Duration.ofMinutes(10);
    /** First start of a cluster: look this far back for work queued before any worker ran. */
    private static final Duration FIRST_LOOKBACK = Duration.ofHours(1);
    private static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);

    private final QueueStore store;
    private final DomainDelivery delivery;
    private final WorkerSettings settings;
    private final Clock clock;
    private final Map<Integer, Long> cursors = new HashMap<>();
    private final Semaphore slots;
    private final ExecutorService deliveries;
    private final ScheduledExecutorService poller;
    private Instant failingSince;
    private Instant lastFailureLog;

    public DeliveryWorker(QueueStore store, DomainDelivery delivery, WorkerSettings settings, Clock clock) {
        this(store, delivery, settings, clock,
            Executors.newFixedThreadPool(settings.deliveryThreads(), named("dispatch-delivery")));
    }

    /** With the executor that runs deliveries given: tests pass one that runs them in the polling thread. */
    DeliveryWorker(QueueStore store, DomainDelivery delivery, WorkerSettings settings, Clock clock,
                   ExecutorService deliveries) {
        this.store = store;
        this.delivery = delivery;
        this.settings = settings;
        this.clock = clock;
        this.slots = new Semaphore(settings.deliveryThreads());
        this.deliveries = deliveries;
        this.poller = Executors.newSingleThreadScheduledExecutor(named("dispatch-queue-poller"));
    }

    public void start() {
        poller.scheduleWithFixedDelay(this::pollSafely, 0, settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info("Dispatch delivery worker {} started: {} shards, {} delivery threads",
            settings.nodeId(), store.shards(), settings.deliveryThreads());
    }

    private void pollSafely() {
        try {
            pollOnce();
            if (failingSince != null) {
                LOGGER.info("Dispatch queue polls work again after failing since {}", failingSince);
                failingSince = null;
            }
        } catch (RuntimeException e) {
            // Cassandra away, say: nothing was lost, the next poll tries again. Say so once a minute, not per poll.
            Instant now = clock.instant();
            if (failingSince == null || lastFailureLog.plus(FAILURE_LOG_INTERVAL).isBefore(now)) {
                LOGGER.warn("Dispatch queue poll failed{}, retrying every {} ms: {}",
                    failingSince == null ? "" : " (failing since " + failingSince + ")",
                    settings.pollInterval().toMillis(), e.getMessage());
                lastFailureLog = now;
            }
            if (failingSince == null) {
                failingSince = now;
            }
        }
    }

    /** One pass over every shard; returns how many recipients were claimed. */
    public synchronized int pollOnce() {
        Instant now = clock.instant();
        long current = store.bucketOf(now);
        int claimed = 0;
        for (int shard = 0; shard < store.shards(); shard++) {
            claimed += pollShard(shard, current, now);
        }
        return claimed;
    }

    private int pollShard(int shard, long currentBucket, Instant now) {
        long start = cursors.computeIfAbsent(shard, s -> store.cursor(s)
            .orElseGet(() -> store.bucketOf(now.minus(FIRST_LOOKBACK))));
        boolean canAdvance = true;
        int claimed = 0;
        for (long bucket = start; bucket <= currentBucket; bucket++) {
            List<DueEntry> entries = store.dueEntries(shard, bucket, now, settings.batchSize());
            Map<UUID, List<RecipientRecord>> batch = new LinkedHashMap<>();
            boolean allHandled = entries.size() < settings.batchSize();
            for (DueEntry entry : entries) {
                allHandled &= handle(entry, now, batch);
            }
            batch.forEach(this::submit);
            claimed += batch.values().stream().mapToInt(List::size).sum();
            // Past buckets that are fully handled are never read again: their tombstones stay behind.
            if (canAdvance && allHandled && bucket < currentBucket) {
                cursors.put(shard, bucket + 1);
                store.advanceCursor(shard, bucket + 1);
            } else {
                canAdvance = false;
            }
        }
        return claimed;
    }

    /** True when the entry needs no more looking at. */
    private boolean handle(DueEntry entry, Instant now, Map<UUID, List<RecipientRecord>> batch) {
        Optional<RecipientRecord> found = store.recipient(entry.messageId(), entry.recipient());
        if (found.isEmpty()) {
            if (entry.dueAt().plus(ORPHAN_GRACE).isBefore(now)) {
                store.removeDue(entry);
                return true;
            }
            return false;
        }
        RecipientRecord record = found.get();
        if (record.state().isFinal() || !record.claimableAt(now)) {
            // Finished, or waiting for a later time under another index entry.
            store.removeDue(entry);
            return true;
        }
        if (!slots.tryAcquire()) {
            return false;
        }
        boolean mine = store.claim(record, settings.nodeId(), now.plus(settings.claimDuration()));
        store.removeDue(entry);
        if (mine) {
            batch.computeIfAbsent(record.messageId(), id -> new ArrayList<>()).add(record);
        } else {
            slots.release();
        }
        return true;
    }

    private void submit(UUID messageId, List<RecipientRecord> recipients) {
        deliveries.execute(() -> {
            try {
                deliver(messageId, recipients);
            } catch (RuntimeException e) {
                // The claims stay; their index entries bring the recipients back when they run out.
                LOGGER.error("Delivery of queued message {} failed before its outcome was stored: {}",
                    messageId, e.getMessage(), e);
            } finally {
                slots.release(recipients.size());
            }
        });
    }

    private void deliver(UUID messageId, List<RecipientRecord> recipients) {
        Optional<StoredMessage> stored = store.message(messageId);
        if (stored.isEmpty()) {
            LOGGER.error("Queued message {} has recipients but no content; leaving them for takeover", messageId);
            return;
        }
        StoredMessage message = stored.get();
        Map<String, List<RecipientRecord>> byDomain = new LinkedHashMap<>();
        for (RecipientRecord record : recipients) {
            byDomain.computeIfAbsent(domainOf(record.recipient()), d -> new ArrayList<>()).add(record);
        }
        byDomain.forEach((domain, records) -> {
            List<String> addresses = new ArrayList<>();
            records.forEach(record -> addresses.add(record.recipient()));
            List<RecipientOutcome> outcomes = delivery.deliver(domain, new Envelope(message.sender(), addresses),
                message.content());
            for (int i = 0; i < records.size(); i++) {
                record(message, records.get(i), outcomes.get(i));
            }
        });
    }

    private void record(StoredMessage message, RecipientRecord record, RecipientOutcome outcome) {
        Instant now = clock.instant();
        int attempts = record.attempts() + 1;
        RecipientState decision;
        Optional<Instant> next = Optional.empty();
        switch (outcome.status()) {
            case DELIVERED:
                decision = RecipientState.DELIVERED;
                break;
            case PERMANENT:
                decision = RecipientState.BOUNCED;
                break;
            default:
                Instant retryAt = now.plus(settings.delayAfter(attempts));
                if (retryAt.isAfter(message.createdAt().plus(settings.maxLifetime()))) {
                    decision = RecipientState.EXPIRED;
                } else {
                    decision = RecipientState.DEFERRED;
                    next = Optional.of(retryAt);
                }
        }
        boolean stillMine = store.complete(new AttemptRecord(message.id(), settings.nodeId(), now, outcome, decision,
            next), attempts);
        LOGGER.info("queue={} rcpt={} host={} ip={} stage={} result=\"{}\" decision={} next={} attempts={}{}",
            message.id(), record.recipient(), outcome.host(), outcome.address(), outcome.stage(), outcome.describe(),
            decision.name().toLowerCase(Locale.ROOT), next.map(Instant::toString).orElse("-"), attempts,
            stillMine ? "" : " (claim was lost to another node meanwhile)");
    }

    static String domainOf(String recipient) {
        return recipient.substring(recipient.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        poller.shutdownNow();
        deliveries.shutdown();
        try {
            if (!deliveries.awaitTermination(30, TimeUnit.SECONDS)) {
                LOGGER.warn("Deliveries still running at shutdown; their claims bring them back on another node");
                deliveries.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            deliveries.shutdownNow();
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        return new java.util.concurrent.ThreadFactory() {
            private int count;

            @Override
            public synchronized Thread newThread(Runnable task) {
                Thread thread = new Thread(task, prefix + "-" + (++count));
                thread.setDaemon(true);
                return thread;
            }
        };
    }
}
