package org.dispatchmail.core.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;

/** A single-process stand-in for the Cassandra store, for unit tests of the worker's decisions. */
final class InMemoryQueueStore implements QueueStore {
    private final Duration bucketSize = Duration.ofMinutes(1);
    private final Map<UUID, StoredMessage> messages = new HashMap<>();
    private final Map<String, RecipientRecord> recipients = new TreeMap<>();
    private final List<DueEntry> due = new ArrayList<>();
    private final Map<Integer, Long> cursors = new HashMap<>();
    final List<AttemptRecord> attempts = new ArrayList<>();

    @Override
    public synchronized UUID enqueue(NewMessage message, Instant now) {
        UUID id = UUID.nameUUIDFromBytes(message.name().getBytes(StandardCharsets.UTF_8));
        byte[] content = message.content();
        messages.put(id, new StoredMessage(id, message.name(), message.sender(), now, MessageContent.ofBytes(content)));
        for (String recipient : message.recipients()) {
            due.add(new DueEntry(0, bucketOf(now), now, id, recipient));
            recipients.putIfAbsent(key(id, recipient), new RecipientRecord(id, recipient, RecipientState.PENDING, 0,
                now, Optional.empty(), Optional.empty(), Optional.empty()));
        }
        return id;
    }

    @Override
    public int shards() {
        return 1;
    }

    @Override
    public long bucketOf(Instant t) {
        return Math.floorDiv(t.toEpochMilli(), bucketSize.toMillis());
    }

    @Override
    public synchronized Optional<Long> cursor(int shard) {
        return Optional.ofNullable(cursors.get(shard));
    }

    @Override
    public synchronized void advanceCursor(int shard, long bucket) {
        cursors.put(shard, bucket);
    }

    @Override
    public synchronized List<DueEntry> dueEntries(int shard, long bucket, Instant upTo, int limit) {
        return due.stream().filter(e -> e.bucket() == bucket && !e.dueAt().isAfter(upTo))
            .sorted(Comparator.comparing(DueEntry::dueAt)).limit(limit).collect(Collectors.toList());
    }

    @Override
    public synchronized void removeDue(DueEntry entry) {
        due.remove(entry);
    }

    @Override
    public synchronized Optional<RecipientRecord> recipient(UUID messageId, String recipient) {
        return Optional.ofNullable(recipients.get(key(messageId, recipient)));
    }

    @Override
    public synchronized List<RecipientRecord> recipients(UUID messageId) {
        return recipients.values().stream().filter(r -> r.messageId().equals(messageId)).collect(Collectors.toList());
    }

    @Override
    public synchronized boolean claim(RecipientRecord seen, String node, Instant claimUntil) {
        due.add(new DueEntry(0, bucketOf(claimUntil), claimUntil, seen.messageId(), seen.recipient()));
        RecipientRecord current = recipients.get(key(seen.messageId(), seen.recipient()));
        if (current.state() != seen.state() || !current.claimedBy().equals(seen.claimedBy())
            || !current.claimUntil().equals(seen.claimUntil())) {
            return false;
        }
        recipients.put(key(seen.messageId(), seen.recipient()), new RecipientRecord(seen.messageId(), seen.recipient(),
            RecipientState.IN_FLIGHT, current.attempts(), current.nextAttemptAt(), Optional.of(node),
            Optional.of(claimUntil), current.lastResult()));
        return true;
    }

    @Override
    public synchronized Optional<StoredMessage> message(UUID messageId) {
        return Optional.ofNullable(messages.get(messageId));
    }

    @Override
    public synchronized boolean complete(AttemptRecord attempt, int attemptCount) {
        attempts.add(attempt);
        attempt.nextAttemptAt().ifPresent(next ->
            due.add(new DueEntry(0, bucketOf(next), next, attempt.messageId(), attempt.recipient())));
        String key = key(attempt.messageId(), attempt.recipient());
        RecipientRecord current = recipients.get(key);
        if (!current.claimedBy().equals(Optional.of(attempt.node()))) {
            return false;
        }
        recipients.put(key, new RecipientRecord(attempt.messageId(), attempt.recipient(), attempt.decision(),
            attemptCount, attempt.nextAttemptAt().orElse(attempt.attemptedAt()), Optional.empty(), Optional.empty(),
            Optional.of(attempt.outcome().describe())));
        return true;
    }

    synchronized int dueCount() {
        return due.size();
    }

    private static String key(UUID id, String recipient) {
        return Objects.requireNonNull(id) + "/" + recipient;
    }
}
