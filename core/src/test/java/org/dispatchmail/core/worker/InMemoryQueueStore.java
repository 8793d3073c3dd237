package org.dispatchmail.core.worker;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;

/**
 * A single-process stand-in for {@link CassandraQueueStore} with the same semantics: the same message ids
 * and shards, the due index as a set per (shard, bucket) read in clustering order, claims and completions as
 * compare-and-set writes, the content removed when a message finishes. Row TTLs (queue.retention) are not
 * modelled.
 */
public final class InMemoryQueueStore implements QueueStore {
    private static final Comparator<DueEntry> CLUSTERING = Comparator.comparing(DueEntry::dueAt)
        .thenComparing(DueEntry::messageId).thenComparing(DueEntry::recipient);

    private final int shards;
    private final Duration bucketSize;
    private final Map<UUID, MessageRow> messages = new HashMap<>();
    private final Map<UUID, byte[]> contents = new HashMap<>();
    /** message → recipient → row; recipients in clustering (name) order as Cassandra returns them. */
    private final Map<UUID, TreeMap<String, RecipientRecord>> recipients = new HashMap<>();
    private final Map<String, NavigableSet<DueEntry>> due = new HashMap<>();
    private final Map<Integer, Long> cursors = new HashMap<>();
    /** (message, recipient) → attempted_at → entry: the attempts table's primary key. */
    private final Map<String, TreeMap<Instant, AttemptHistoryEntry>> history = new HashMap<>();
    private final Map<String, Set<UUID>> active = new HashMap<>();
    /** Every completion handed to the store, in order, whether or not it held the claim. */
    private final List<AttemptRecord> attemptLog = new ArrayList<>();
    private int renewals;

    public InMemoryQueueStore() {
        this(16, Duration.ofMinutes(1));
    }

    public InMemoryQueueStore(int shards, Duration bucketSize) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1");
        }
        this.shards = shards;
        this.bucketSize = bucketSize;
    }

    @Override
    public synchronized UUID enqueue(NewMessage message, Instant now) {
        UUID id = CassandraQueueStore.messageId(message.name());
        int shard = shardOf(id);
        MessageRow first = messages.get(id);
        Instant createdAt = first == null ? now : first.createdAt;
        // The first content stands whole once its recipients were written (a hand-over here is all or nothing).
        if (first == null || rows(id).isEmpty()) {
            byte[] content = bytesOf(message);
            contents.put(id, content);
            messages.put(id, new MessageRow(message.name(), message.sender(), createdAt, message.messageDsn(),
                message.recipients().size(), content.length, shard));
        }
        active.computeIfAbsent(activeKey(shard, epochDay(createdAt)), k -> new LinkedHashSet<>()).add(id);
        TreeMap<String, RecipientRecord> rows = recipients.computeIfAbsent(id, k -> new TreeMap<>());
        for (int i = 0; i < message.recipients().size(); i++) {
            String recipient = message.recipients().get(i);
            indexAt(id, recipient, now);
            // IF NOT EXISTS: a repeated hand-over never resets a recipient already handled
            rows.putIfAbsent(recipient, RecipientRecord.pending(id, recipient, message.recipientDsn(i), now));
        }
        return id;
    }

    private static byte[] bytesOf(NewMessage message) {
        try (InputStream in = message.content().open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public int shards() {
        return shards;
    }

    @Override
    public int shardOf(UUID messageId) {
        return Math.floorMod(messageId.hashCode(), shards);
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
        NavigableSet<DueEntry> partition = due.get(dueKey(shard, bucket));
        if (partition == null) {
            return List.of();
        }
        return partition.stream().filter(e -> !e.dueAt().isAfter(upTo)).limit(limit).collect(Collectors.toList());
    }

    @Override
    public synchronized void removeDue(DueEntry entry) {
        NavigableSet<DueEntry> partition = due.get(dueKey(entry.shard(), entry.bucket()));
        if (partition != null) {
            partition.remove(entry);
        }
    }

    @Override
    public synchronized Optional<RecipientRecord> recipient(UUID messageId, String recipient) {
        return Optional.ofNullable(rows(messageId).get(recipient));
    }

    @Override
    public synchronized List<RecipientRecord> recipients(UUID messageId) {
        return new ArrayList<>(rows(messageId).values());
    }

    @Override
    public synchronized void index(UUID messageId, String recipient, Instant at) {
        indexAt(messageId, recipient, at);
    }

    @Override
    public synchronized List<RecipientRecord> claim(List<RecipientRecord> seen, String node, Instant claimUntil,
                                                    Instant lookAgainAt) {
        List<RecipientRecord> taken = new ArrayList<>();
        for (RecipientRecord record : seen) {
            indexAt(record.messageId(), record.recipient(), lookAgainAt);
        }
        UUID token = UUID.randomUUID();
        for (RecipientRecord record : seen) {
            RecipientRecord current = rows(record.messageId()).get(record.recipient());
            if (current == null || current.state() != record.state()
                || !current.claimedBy().equals(record.claimedBy()) || !current.claimUntil().equals(record.claimUntil())
                || !current.claimToken().equals(record.claimToken())) {
                continue;
            }
            RecipientRecord claimed = current.toBuilder().state(RecipientState.IN_FLIGHT).claimedBy(Optional.of(node))
                .claimUntil(Optional.of(claimUntil)).claimToken(Optional.of(token)).build();
            put(claimed);
            taken.add(claimed);
        }
        return taken;
    }

    @Override
    public synchronized List<String> renew(List<RecipientRecord> claimed, Instant claimUntil) {
        renewals++;
        List<String> lost = new ArrayList<>();
        for (RecipientRecord record : claimed) {
            indexAt(record.messageId(), record.recipient(), claimUntil);
            RecipientRecord current = rows(record.messageId()).get(record.recipient());
            if (current == null || !holds(current, record.claimedBy().orElse(null), record.claimToken().orElse(null))) {
                lost.add(record.recipient());
                continue;
            }
            put(current.toBuilder().claimUntil(Optional.of(claimUntil)).build());
        }
        return lost;
    }

    private static boolean holds(RecipientRecord current, String node, UUID token) {
        return current.claimedBy().equals(Optional.ofNullable(node))
            && current.claimToken().equals(Optional.ofNullable(token));
    }

    @Override
    public synchronized Optional<StoredMessage> message(UUID messageId) {
        MessageRow row = messages.get(messageId);
        if (row == null) {
            return Optional.empty();
        }
        MessageContent content = new MessageContent() {
            @Override
            public long size() {
                return row.size;
            }

            @Override
            public InputStream open() {
                byte[] bytes = contentOf(messageId);
                if (bytes == null) {
                    throw new CassandraUnavailableException("chunk 0 of message " + messageId + " is missing", null);
                }
                return new ByteArrayInputStream(bytes);
            }
        };
        return Optional.of(new StoredMessage(messageId, row.name, row.sender, row.createdAt, row.dsn,
            row.recipientCount, row.shard, content));
    }

    @Override
    public synchronized List<String> complete(List<AttemptRecord> attempts, List<RecipientRecord> updated) {
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < attempts.size(); i++) {
            if (!completeOne(attempts.get(i), updated.get(i))) {
                lost.add(updated.get(i).recipient());
            }
        }
        return lost;
    }

    private boolean completeOne(AttemptRecord attempt, RecipientRecord updated) {
        attemptLog.add(attempt);
        history.computeIfAbsent(historyKey(attempt.messageId(), attempt.recipient()), k -> new TreeMap<>())
            .put(attempt.attemptedAt(), toHistory(attempt));
        if (!updated.state().isFinal()) {
            indexAt(updated.messageId(), updated.recipient(), updated.nextAttemptAt());
        }
        RecipientRecord current = rows(updated.messageId()).get(updated.recipient());
        if (current == null || !holds(current, attempt.node(), attempt.claimToken())) {
            return false;
        }
        put(writeAll(current, updated));
        return true;
    }

    @Override
    public synchronized boolean update(RecipientRecord seen, RecipientRecord updated) {
        if (updated.state().isWaiting()) {
            indexAt(updated.messageId(), updated.recipient(), updated.nextAttemptAt());
        }
        RecipientRecord current = rows(seen.messageId()).get(seen.recipient());
        if (current == null || current.state() != seen.state() || current.claimedBy().isPresent()
            || current.attempts() != seen.attempts()) {
            return false;
        }
        put(writeAll(current, updated));
        return true;
    }

    @Override
    public synchronized void reportsSent(UUID messageId, List<String> recipients) {
        for (String recipient : recipients) {
            RecipientRecord current = rows(messageId).get(recipient);
            if (current != null) {
                put(current.toBuilder().reportOwed(Optional.empty()).build());
            }
        }
    }

    /** The columns a full state write sets: everything but NOTIFY/ORCPT; the claim is cleared. */
    private static RecipientRecord writeAll(RecipientRecord current, RecipientRecord updated) {
        return updated.toBuilder().unclaimed().dsn(current.dsn()).build();
    }

    @Override
    public synchronized List<AttemptHistoryEntry> attempts(UUID messageId, String recipient) {
        TreeMap<Instant, AttemptHistoryEntry> entries = history.get(historyKey(messageId, recipient));
        return entries == null ? List.of() : new ArrayList<>(entries.values());
    }

    @Override
    public synchronized void finish(UUID messageId) {
        contents.remove(messageId);
        MessageRow row = messages.get(messageId);
        if (row != null) {
            Set<UUID> listed = active.get(activeKey(row.shard, epochDay(row.createdAt)));
            if (listed != null) {
                listed.remove(messageId);
            }
        }
    }

    @Override
    public synchronized void delete(UUID messageId) {
        finish(messageId);
        for (String recipient : rows(messageId).keySet()) {
            history.remove(historyKey(messageId, recipient));
        }
        // Its due entries now point at nothing: the workers drop them as orphans.
        recipients.remove(messageId);
        messages.remove(messageId);
    }

    @Override
    public synchronized List<UUID> activeMessages(int shard, long epochDay) {
        Set<UUID> listed = active.get(activeKey(shard, epochDay));
        return listed == null ? List.of() : new ArrayList<>(listed);
    }

    // ------------------------------------------------------------------ for assertions

    /** Every AttemptRecord passed to complete(), in order. */
    public synchronized List<AttemptRecord> attemptLog() {
        return new ArrayList<>(attemptLog);
    }

    /** How many times claims were renewed. */
    public synchronized int renewals() {
        return renewals;
    }

    /** Index entries left, over every shard and bucket. */
    public synchronized int dueCount() {
        return due.values().stream().mapToInt(Set::size).sum();
    }

    /** The times at which this recipient is indexed, earliest first. */
    public synchronized List<Instant> dueTimes(UUID messageId, String recipient) {
        return due.values().stream().flatMap(Set::stream)
            .filter(e -> e.messageId().equals(messageId) && e.recipient().equals(recipient))
            .map(DueEntry::dueAt).sorted().collect(Collectors.toList());
    }

    public synchronized boolean hasContent(UUID messageId) {
        return contents.containsKey(messageId);
    }

    /** Sets a recipient's row as a test scenario needs it, bypassing every condition. */
    public synchronized void overwrite(RecipientRecord record) {
        put(record);
    }

    // ------------------------------------------------------------------ internals

    private synchronized byte[] contentOf(UUID messageId) {
        return contents.get(messageId);
    }

    private TreeMap<String, RecipientRecord> rows(UUID messageId) {
        TreeMap<String, RecipientRecord> rows = recipients.get(Objects.requireNonNull(messageId));
        return rows == null ? new TreeMap<>() : rows;
    }

    private void put(RecipientRecord record) {
        recipients.computeIfAbsent(record.messageId(), k -> new TreeMap<>()).put(record.recipient(), record);
    }

    private void indexAt(UUID messageId, String recipient, Instant at) {
        int shard = shardOf(messageId);
        long bucket = bucketOf(at);
        due.computeIfAbsent(dueKey(shard, bucket), k -> new TreeSet<>(CLUSTERING))
            .add(new DueEntry(shard, bucket, at, messageId, recipient));
    }

    private static AttemptHistoryEntry toHistory(AttemptRecord attempt) {
        RecipientOutcome outcome = attempt.outcome();
        SmtpReply reply = outcome.reply();
        return new AttemptHistoryEntry(attempt.attemptedAt(), attempt.node(), Optional.ofNullable(outcome.host()),
            Optional.ofNullable(outcome.address()), outcome.stage(),
            reply == null ? Optional.empty() : Optional.of(reply.code()), Optional.ofNullable(outcome.enhancedStatus()),
            Optional.ofNullable(reply == null ? outcome.error() : reply.text()), attempt.tls(),
            attempt.decision().name(), attempt.nextAttemptAt());
    }

    static long epochDay(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), 86_400L);
    }

    private static String dueKey(int shard, long bucket) {
        return shard + "/" + bucket;
    }

    private static String activeKey(int shard, long day) {
        return shard + "/" + day;
    }

    private static String historyKey(UUID messageId, String recipient) {
        return messageId + "/" + recipient;
    }

    /** The messages table's columns. */
    private static final class MessageRow {
        final String name;
        final String sender;
        final Instant createdAt;
        final MessageDsn dsn;
        final int recipientCount;
        final long size;
        final int shard;

        MessageRow(String name, String sender, Instant createdAt, MessageDsn dsn, int recipientCount, long size,
                   int shard) {
            this.name = name;
            this.sender = sender;
            this.createdAt = createdAt;
            this.dsn = dsn;
            this.recipientCount = recipientCount;
            this.size = size;
            this.shard = shard;
        }
    }
}
