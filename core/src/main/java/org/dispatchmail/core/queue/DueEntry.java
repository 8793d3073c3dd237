package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.UUID;

/** A pointer in the due index: this recipient should be looked at from dueAt on. */
public final class DueEntry {
    private final int shard;
    private final long bucket;
    private final Instant dueAt;
    private final UUID messageId;
    private final String recipient;

    public DueEntry(int shard, long bucket, Instant dueAt, UUID messageId, String recipient) {
        this.shard = shard;
        this.bucket = bucket;
        this.dueAt = dueAt;
        this.messageId = messageId;
        this.recipient = recipient;
    }

    public int shard() {
        return shard;
    }

    public long bucket() {
        return bucket;
    }

    public Instant dueAt() {
        return dueAt;
    }

    public UUID messageId() {
        return messageId;
    }

    public String recipient() {
        return recipient;
    }

    @Override
    public String toString() {
        return messageId + "/" + recipient + "@" + dueAt;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof DueEntry)) {
            return false;
        }
        DueEntry other = (DueEntry) o;
        return shard == other.shard && bucket == other.bucket && dueAt.equals(other.dueAt)
            && messageId.equals(other.messageId) && recipient.equals(other.recipient);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(shard, bucket, dueAt, messageId, recipient);
    }
}
