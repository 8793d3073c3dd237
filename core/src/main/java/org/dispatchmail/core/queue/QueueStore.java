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

    /** The shard of a message: its recipients' due entries live in this shard. */
    int shardOf(UUID messageId);

    /** The time bucket holding instant t. */
    long bucketOf(Instant t);

    /** The first bucket of this shard that may still hold unhandled entries, if one was recorded. */
    Optional<Long> cursor(int shard);

    void advanceCursor(int shard, long bucket);

    /** Entries of one bucket due at or before upTo, oldest first. */
    List<DueEntry> dueEntries(int shard, long bucket, Instant upTo, int limit);

    void removeDue(DueEntry entry);

    /** Removes several entries (those of one message, say) in one go. */
    default void removeDue(List<DueEntry> entries) {
        entries.forEach(this::removeDue);
    }

    Optional<RecipientRecord> recipient(UUID messageId, String recipient);

    List<RecipientRecord> recipients(UUID messageId);

    /**
     * Takes recipients of one message for one attempt, each if it is still as {@code seen}, under a new claim
     * token; first indexes each again at {@code lookAgainAt} (at the latest claimUntil), so that if this node
     * dies mid-attempt another node finds them then. Returns the records taken, as the claim wrote them
     * (in flight, with this node, claimUntil and the token); a recipient another node changed first is left out.
     */
    List<RecipientRecord> claim(List<RecipientRecord> seen, String node, Instant claimUntil, Instant lookAgainAt);

    /** {@link #claim(List, String, Instant, Instant)} for one recipient, looked at again at claimUntil. */
    default boolean claim(RecipientRecord seen, String node, Instant claimUntil) {
        return !claim(List.of(seen), node, claimUntil, claimUntil).isEmpty();
    }

    /**
     * Extends claims this node holds to {@code claimUntil} (indexing them again then), each only while it
     * still holds the token it was claimed with. Returns the recipients whose claim was lost: taken over after
     * it ran out, or finished meanwhile.
     */
    List<String> renew(List<RecipientRecord> claimed, Instant claimUntil);

    /** The index entry {@link #index} writes for the recipient at {@code at}, as a claim's look-again does. */
    default DueEntry dueEntry(UUID messageId, String recipient, Instant at) {
        return new DueEntry(shardOf(messageId), bucketOf(at), at, messageId, recipient);
    }

    /** Adds an index entry for the recipient at {@code at}, so that a worker looks at it again then. */
    void index(UUID messageId, String recipient, Instant at);

    Optional<StoredMessage> message(UUID messageId);

    /**
     * Records the attempt and the recipient's new state {@code updated} (indexing it again at its next
     * attempt unless it is final), provided the recipient is still held by the attempt's node under the
     * attempt's claim token. False when the claim was lost (then nothing is written but the attempt history).
     */
    default boolean complete(AttemptRecord attempt, RecipientRecord updated) {
        return complete(List.of(attempt), List.of(updated)).isEmpty();
    }

    /**
     * {@link #complete(AttemptRecord, RecipientRecord)} for recipients of one message attempted together
     * (same order in both lists). Returns the recipients whose claim was lost.
     */
    List<String> complete(List<AttemptRecord> attempts, List<RecipientRecord> updated);

    /**
     * Changes a recipient that nobody holds (an admin's retry, hold, release or bounce; an expiry) if it is
     * still as {@code seen} had it: same state, same number of attempts (none made since); indexes it at its
     * next attempt when it waits for one.
     */
    boolean update(RecipientRecord seen, RecipientRecord updated);

    /** The reports these recipients owed were handed over: clears {@link RecipientRecord#reportOwed()}. */
    void reportsSent(UUID messageId, List<String> recipients);

    /** What was tried for one recipient, oldest first. */
    List<AttemptHistoryEntry> attempts(UUID messageId, String recipient);

    /**
     * Called once every recipient is final: removes the content (the history stays until the retention
     * ends) and the message from the list of active ones.
     */
    void finish(UUID messageId);

    /** {@link #finish(UUID)} for a message already read: nothing needs reading again. */
    default void finish(StoredMessage message) {
        finish(message.id());
    }

    /**
     * {@link #finish(StoredMessage)}, removing with it index entries that can only find final recipients now
     * (those its claims left to look at them again): no poll reads them back to drop them.
     */
    default void finish(StoredMessage message, List<DueEntry> spent) {
        finish(message);
        removeDue(spent);
    }

    /** Removes the message, its content, its recipients and its history (an admin's delete). */
    void delete(UUID messageId);

    /** Messages of a shard queued on the given day (epoch day, UTC) that are not finished yet. */
    List<UUID> activeMessages(int shard, long epochDay);
}
