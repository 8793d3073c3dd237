package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.ShardLeases;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.routing.Destination;
import org.dispatchmail.core.routing.DomainNames;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds due recipients in the shards this node leases, claims them, delivers them and hands the
 * outcomes to the recorder. Claims make sure two nodes never attempt the same recipient at the same
 * time; a claim that ran out, or whose node stopped heartbeating, is taken over.
 */
public final class DeliveryWorker implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryWorker.class);
    /** An index entry whose recipient row never appeared belongs to a hand-over that failed. */
    private static final Duration ORPHAN_GRACE = Duration.ofMinutes(10);
    /** First start of a cluster: look this far back for work queued before any worker ran. */
    private static final Duration FIRST_LOOKBACK = Duration.ofHours(1);
    /**
     * How late an index entry may land after its time: an entry is written in one request (at most
     * {@code cassandra.requestTimeout}, 10 s by default) right after the time it carries is taken.
     */
    static final Duration INDEX_WRITE_GRACE = Duration.ofSeconds(30);
    private static final Duration FAILURE_LOG_INTERVAL = Duration.ofMinutes(1);

    private final QueueStore store;
    private final DomainDelivery delivery;
    private final OutcomeRecorder recorder;
    private final ShardOwnership ownership;
    private final WorkerSettings settings;
    private final Duration maxLifetime;
    private final Clock clock;
    /** Read by the polling thread, cleared by the lease thread when a shard is newly taken. */
    private final Map<Integer, Long> cursors = new ConcurrentHashMap<>();
    /** Each slot is one message being claimed and delivered by a delivery thread. */
    private final Semaphore slots;
    private final DestinationSlots destinationSlots;
    /** Entries handed to a delivery thread and not yet handled: the next polls leave them alone. */
    private final Set<DueEntry> inProgress = ConcurrentHashMap.newKeySet();
    private final ExecutorService deliveries;
    private final ScheduledExecutorService poller;
    /** Renews the claims of attempts that run long. */
    private final ClaimRenewal.Repeater renewals;
    private final ScheduledExecutorService renewalThread;
    /** Set by a poll that found a full batch in some bucket: more may be due right away. */
    private boolean backlogSeen;
    private int handedInLastPoll;
    private Instant failingSince;
    private Instant lastFailureLog;

    /** A worker with its parts: the claims and leases of this node, the retry policy and the reports. */
    public static DeliveryWorker create(QueueStore store, ShardLeases leases, GreylistMemory greylistMemory,
                                        DomainDelivery delivery, RetryPolicy policy, DeliveryReports reports,
                                        QueueMetrics metrics, WorkerSettings settings, Clock clock) {
        OutcomeRecorder recorder = new OutcomeRecorder(store, greylistMemory, policy, policy.settings(), reports,
            metrics, settings.nodeId(), clock);
        ShardOwnership ownership = new ShardOwnership(leases, settings.nodeId(), store.shards(), settings.leaseTime());
        ScheduledExecutorService renewalThread = Executors.newSingleThreadScheduledExecutor(named("dispatch-claims"));
        return new DeliveryWorker(store, delivery, recorder, ownership, settings, policy.settings().maxLifetime(),
            clock, Executors.newFixedThreadPool(settings.deliveryThreads(), named("dispatch-delivery")),
            ClaimRenewal.Repeater.on(renewalThread), renewalThread);
    }

    /** The shards this node works now. */
    public Set<Integer> ownedShards() {
        return ownership.owned();
    }

    /** @param renewalThread the thread behind {@code renewals}, stopped with the worker; null when there is none */
    DeliveryWorker(QueueStore store, DomainDelivery delivery, OutcomeRecorder recorder, ShardOwnership ownership,
                   WorkerSettings settings, Duration maxLifetime, Clock clock, ExecutorService deliveries,
                   ClaimRenewal.Repeater renewals, ScheduledExecutorService renewalThread) {
        this.store = store;
        this.delivery = delivery;
        this.recorder = recorder;
        this.ownership = ownership;
        this.settings = settings;
        this.maxLifetime = maxLifetime;
        this.clock = clock;
        this.slots = new Semaphore(settings.deliveryThreads());
        this.destinationSlots = new DestinationSlots(settings.threadsPerDestination());
        this.deliveries = deliveries;
        this.renewals = renewals;
        this.renewalThread = renewalThread;
        this.poller = Executors.newScheduledThreadPool(2, named("dispatch-queue"));
    }

    public void start() {
        long leaseRound = Math.max(1000, settings.leaseTime().toMillis() / 3);
        poller.scheduleWithFixedDelay(this::refreshLeasesSafely, 0, leaseRound, TimeUnit.MILLISECONDS);
        poller.scheduleWithFixedDelay(this::pollSafely, 0, settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOGGER.info("Dispatch delivery worker {} started: {} shards, {} delivery threads",
            settings.nodeId(), store.shards(), settings.deliveryThreads());
    }

    private void refreshLeasesSafely() {
        try {
            refreshLeases();
        } catch (RuntimeException e) {
            LOGGER.debug("Shard lease round failed: {}", e.getMessage());
        }
    }

    /**
     * One lease round; newly taken shards have their cursor read again (another node moved it). Not
     * synchronized with polling: a poll may wait for a free delivery thread, and leases must not lapse then.
     */
    public void refreshLeases() {
        for (int shard : ownership.refresh()) {
            cursors.remove(shard);
        }
    }

    private void pollSafely() {
        try {
            // A backlog is worked through at the pace of the delivery threads, not one batch per poll interval.
            pollOnce();
            while (backlogSeen && handedInLastPoll > 0 && !Thread.currentThread().isInterrupted()) {
                pollOnce();
                LOGGER.trace("Backlog: polling again at once");
            }
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

    /**
     * One pass over every shard this node leases; returns how many recipients were claimed (known only when
     * the delivery threads run at once, as in tests). Waits for a free delivery thread when all are busy, and
     * up to {@code queue.pollInterval} for a destination's slot (see {@link DestinationSlots}).
     */
    public synchronized int pollOnce() {
        Instant now = clock.instant();
        long current = store.bucketOf(now);
        long settled = store.bucketOf(now.minus(INDEX_WRITE_GRACE));
        int claimed = 0;
        backlogSeen = false;
        handedInLastPoll = 0;
        // destinations found holding their share of the threads: this poll skips their messages
        Set<Destination> busyDestinations = new HashSet<>();
        for (int shard : ownership.owned()) {
            claimed += pollShard(shard, current, settled, now, busyDestinations);
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        return claimed;
    }

    private int pollShard(int shard, long currentBucket, long settledBucket, Instant now,
                          Set<Destination> busyDestinations) {
        long start = cursors.computeIfAbsent(shard, s -> store.cursor(s)
            .orElseGet(() -> store.bucketOf(now.minus(FIRST_LOOKBACK))));
        boolean canAdvance = true;
        int claimed = 0;
        for (long bucket = start; bucket <= currentBucket; bucket++) {
            List<DueEntry> entries = store.dueEntries(shard, bucket, now, settings.batchSize());
            if (entries.size() >= settings.batchSize()) {
                backlogSeen = true;
            }
            Map<UUID, List<DueEntry>> byMessage = new LinkedHashMap<>();
            for (DueEntry entry : entries) {
                if (!inProgress.contains(entry)) {
                    byMessage.computeIfAbsent(entry.messageId(), id -> new ArrayList<>()).add(entry);
                }
            }
            // A bucket is done once a poll finds nothing left in it: entries handed to a delivery thread
            // are removed there, so the cursor waits for the next poll to see the bucket empty.
            boolean allHandled = entries.isEmpty();
            for (Map.Entry<UUID, List<DueEntry>> message : byMessage.entrySet()) {
                Map<String, Destination> byDomain = destinationsOf(message.getValue());
                Set<Destination> destinations = new HashSet<>(byDomain.values());
                boolean taken = false;
                try {
                    taken = Collections.disjoint(destinations, busyDestinations)
                        && destinationSlots.take(destinations, settings.pollInterval());
                    if (!taken) {
                        // its destination still holds its share of the threads: due again at the next poll,
                        // and this poll waits no more for it
                        busyDestinations.addAll(destinationSlots.full(destinations));
                        continue;
                    }
                    slots.acquire();
                } catch (InterruptedException e) {
                    // Stopping: what was not handed over stays due for the next poll, here or elsewhere.
                    if (taken) {
                        destinationSlots.release(destinations);
                    }
                    Thread.currentThread().interrupt();
                    return claimed;
                }
                claimed += submit(message.getKey(), message.getValue(), byDomain);
                handedInLastPoll++;
            }
            // Past buckets that are fully handled are never read again: their tombstones stay behind. A bucket
            // is passed only once it ended INDEX_WRITE_GRACE ago, so an entry whose write was still under way
            // when the bucket looked empty is not left behind.
            if (canAdvance && allHandled && bucket < settledBucket) {
                cursors.put(shard, bucket + 1);
                store.advanceCursor(shard, bucket + 1);
            } else {
                canAdvance = false;
            }
        }
        return claimed;
    }

    /**
     * Hands the due entries of one message to a delivery thread, which claims its recipients (the
     * compare-and-set writes run in parallel, not one by one in the polling thread) and delivers them.
     * Returns how many were claimed when the thread ran at once (as in tests), else 0.
     */
    private int submit(UUID messageId, List<DueEntry> entries, Map<String, Destination> byDomain) {
        Set<Destination> destinations = new HashSet<>(byDomain.values());
        inProgress.addAll(entries);
        AtomicInteger claimed = new AtomicInteger();
        try {
            deliveries.execute(() -> {
                try {
                    // The time and the live nodes as they are now: the poll may have waited for this thread.
                    Instant now = clock.instant();
                    List<RecipientRecord> mine = claim(messageId, entries, now, ownership.liveNodes());
                    claimed.set(mine.size());
                    if (!mine.isEmpty()) {
                        deliver(messageId, mine, byDomain, lookAgainAt(now));
                    }
                } catch (RuntimeException e) {
                    // The claims stay; their index entries bring the recipients back when they run out.
                    LOGGER.error("Delivery of queued message {} failed before its outcome was stored: {}",
                        messageId, e.getMessage(), e);
                } finally {
                    entries.forEach(inProgress::remove);
                    destinationSlots.release(destinations);
                    slots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            entries.forEach(inProgress::remove);
            destinationSlots.release(destinations);
            slots.release();
        }
        return claimed.get();
    }

    /**
     * Looks at the due entries of one message (its recipients read in one query), claims those due now in
     * one go, and removes the entries dealt with. Returns the recipients claimed.
     */
    private List<RecipientRecord> claim(UUID messageId, List<DueEntry> entries, Instant now, Set<String> liveNodes) {
        Map<String, RecipientRecord> rows = new HashMap<>();
        for (RecipientRecord record : store.recipients(messageId)) {
            rows.put(record.recipient(), record);
        }
        Map<String, RecipientRecord> claimable = new LinkedHashMap<>();
        List<RecipientRecord> owingReports = new ArrayList<>();
        List<DueEntry> handled = new ArrayList<>();
        for (DueEntry entry : entries) {
            RecipientRecord record = rows.get(entry.recipient());
            if (record == null) {
                if (entry.dueAt().plus(ORPHAN_GRACE).isBefore(now)) {
                    handled.add(entry);
                }
                continue;
            }
            handled.add(entry);
            if (record.reportOwed().isPresent() && record.claimedBy().isEmpty()
                && owingReports.stream().noneMatch(r -> r.recipient().equals(record.recipient()))) {
                // its report could not be sent after its state was written: send it now (before any new attempt)
                owingReports.add(record);
            }
            if (record.state() == RecipientState.HELD) {
                // A held recipient is indexed at its expiry only: nothing stays queued past its lifetime.
                expireIfDue(record, now);
            } else if (!record.state().isFinal() && (record.claimableAt(now) || claimOfDeadNode(record, liveNodes))) {
                claimable.put(record.recipient(), record);
            } else if (record.state() == RecipientState.IN_FLIGHT) {
                // Claimed by someone: looked at again within a lease time, so it is taken over soon if its node dies.
                recheckClaim(record, now);
            }
            // Otherwise finished, or waiting for a later time under another index entry.
        }
        Instant claimUntil = now.plus(settings.claimDuration());
        Instant lookAgainAt = lookAgainAt(now);
        // The claims index their recipients again first, so the entries can go once they are written.
        if (!owingReports.isEmpty()) {
            store.message(messageId).ifPresent(message -> recorder.sendOwedReports(message, owingReports));
        }
        List<RecipientRecord> taken = store.claim(new ArrayList<>(claimable.values()), settings.nodeId(), claimUntil,
            lookAgainAt);
        store.removeDue(handled);
        return taken;
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** When a claim made at {@code now} has its recipients looked at again: within a lease time. */
    private Instant lookAgainAt(Instant now) {
        return min(now.plus(settings.claimDuration()), now.plus(settings.leaseTime()));
    }

    private void recheckClaim(RecipientRecord claimed, Instant now) {
        Instant recheck = now.plus(settings.leaseTime());
        if (claimed.claimUntil().map(recheck::isBefore).orElse(false)) {
            store.index(claimed.messageId(), claimed.recipient(), recheck);
        }
    }

    /** A node that stopped heartbeating will not finish its attempt: take it over without waiting for the claim. */
    private boolean claimOfDeadNode(RecipientRecord record, Set<String> liveNodes) {
        return record.state() == RecipientState.IN_FLIGHT && !liveNodes.isEmpty()
            && record.claimedBy().map(node -> !liveNodes.contains(node) && !node.equals(settings.nodeId()))
                .orElse(false);
    }

    private void expireIfDue(RecipientRecord record, Instant now) {
        Optional<StoredMessage> message = store.message(record.messageId());
        if (message.isPresent() && !message.get().createdAt().plus(maxLifetime).isAfter(now)) {
            recorder.expireWithoutAttempt(message.get(), record, false, "held past the queue lifetime");
        }
    }

    /** @param lookAgainAt when the claim of {@code recipients} indexed them again */
    private void deliver(UUID messageId, List<RecipientRecord> recipients, Map<String, Destination> byDomain,
                         Instant lookAgainAt) {
        ClaimRenewal renewal = new ClaimRenewal(store, settings.claimDuration(), clock, recipients);
        try (ClaimRenewal.Repeating renewing = renewals.every(ClaimRenewal.period(settings.claimDuration()),
            renewal::renew)) {
            deliver(messageId, recipients, byDomain, renewal, lookAgainAt);
        }
    }

    private void deliver(UUID messageId, List<RecipientRecord> recipients, Map<String, Destination> byDomain,
                         ClaimRenewal renewal, Instant lookAgainAt) {
        Optional<StoredMessage> stored = store.message(messageId);
        if (stored.isEmpty()) {
            LOGGER.error("Queued message {} has recipients but no content; leaving them for takeover", messageId);
            return;
        }
        StoredMessage message = stored.get();
        Instant now = clock.instant();
        Map<String, Destination> resolved = new HashMap<>(byDomain);
        Map<Destination, List<RecipientRecord>> byDestination = new LinkedHashMap<>();
        // The retry policy schedules a last attempt right at the lifetime's end: that one still runs, even
        // a little late; a recipient found long after it (a backlog, a cluster that was down) expires unattempted.
        Instant giveUp = message.createdAt().plus(maxLifetime).plus(settings.claimDuration());
        for (RecipientRecord record : recipients) {
            if (now.isAfter(giveUp)) {
                if (!renewal.handOver(List.of(record)).isEmpty()) {
                    recorder.expireWithoutAttempt(message, record, true, "not delivered within the queue lifetime of "
                        + readable(maxLifetime));
                }
                continue;
            }
            // resolved when the poll took the destinations' slots; a recipient the poll did not see is resolved now
            Destination destination = resolved.computeIfAbsent(DomainNames.recipientDomain(record.recipient()),
                delivery::destinationOf);
            byDestination.computeIfAbsent(destination, d -> new ArrayList<>()).add(record);
        }
        // One transaction per destination: a recipient domain, or a smart host that takes several domains.
        byDestination.forEach((destination, records) -> {
            String domain = DomainNames.recipientDomain(records.get(0).recipient());
            List<String> addresses = new ArrayList<>();
            List<RecipientDsn> dsn = new ArrayList<>();
            for (RecipientRecord record : records) {
                addresses.add(record.recipient());
                dsn.add(record.dsn());
            }
            List<RecipientOutcome> outcomes = delivery.deliver(destination, domain,
                new Envelope(message.sender(), addresses, message.dsn(), dsn), message.content());
            List<RecipientRecord> held = new ArrayList<>();
            List<RecipientOutcome> heldOutcomes = new ArrayList<>();
            List<Integer> kept = renewal.handOver(records);
            for (int i = 0; i < records.size(); i++) {
                if (kept.contains(i)) {
                    held.add(records.get(i));
                    heldOutcomes.add(outcomes.get(i));
                } else {
                    LOGGER.warn("queue={} rcpt={}: outcome not written, the claim was lost during the attempt: {}",
                        messageId, records.get(i).recipient(), outcomes.get(i).describe());
                }
            }
            if (!held.isEmpty()) {
                List<DueEntry> lookAgain = new ArrayList<>();
                held.forEach(record -> lookAgain.add(store.dueEntry(messageId, record.recipient(), lookAgainAt)));
                recorder.record(message, domain, destination.routeName(), held, heldOutcomes, lookAgain);
            }
        });
    }

    /** The destination of each recipient domain of one message, each resolved once. */
    private Map<String, Destination> destinationsOf(List<DueEntry> entries) {
        Map<String, Destination> destinations = new HashMap<>();
        for (DueEntry entry : entries) {
            destinations.computeIfAbsent(DomainNames.recipientDomain(entry.recipient()), delivery::destinationOf);
        }
        return destinations;
    }

    static String readable(Duration d) {
        long seconds = d.getSeconds();
        if (seconds % 86_400 == 0) {
            return (seconds / 86_400) + " days";
        }
        if (seconds % 3600 == 0) {
            return (seconds / 3600) + " hours";
        }
        return seconds % 60 == 0 ? (seconds / 60) + " minutes" : seconds + " seconds";
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
        if (renewalThread != null) {
            renewalThread.shutdownNow();
        }
        ownership.releaseAll();
    }

    static ThreadFactory named(String prefix) {
        return new ThreadFactory() {
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
