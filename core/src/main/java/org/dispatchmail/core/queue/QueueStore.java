package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Durable queue state shared by every node. Each method returns only once its writes are
 * acknowledged; each write is idempotent, so a call that failed can be repeated.
 */
public interface QueueStore {

    /** Stores the message once and a pending row per recipient, due now. Returns the message's queue id. */
    UUID enqueue(NewMessage message, Instant now);

    int shards();

    /** The time bucket holding instant t. */
    long bucketOf(Instant t);

    /** The first bucket of this shard that may still hold unhandled entries, if one was recorded. */
    Optional<Long> cursor(int shard);

    void advanceCursor(int shard, long bucket);

    /** Entries of one bucket due at or before upTo, oldest first. */
    List<DueEntry> dueEntries(int shard, long bucket, Instant upTo, int limit);

    void removeDue(DueEntry entry);

    Optional<RecipientRecord> recipient(UUID messageId, String recipient);

    List<RecipientRecord> recipients(UUID messageId);

    /**
     * Takes the recipient for one attempt if it is still as {@code seen}; also indexes it again at
     * claimUntil, so if this node dies mid-attempt another node finds it then. False when another
     * node changed it first.
     */
    boolean claim(RecipientRecord seen, String node, Instant claimUntil);

    Optional<StoredMessage> message(UUID messageId);

    /**
     * Records the attempt and the recipient's new state (indexing it again when deferred), provided
     * this node still holds the claim. False when the claim was lost (then nothing is written but
     * the attempt history).
     */
    boolean complete(AttemptRecord attempt, int attempts);
}
