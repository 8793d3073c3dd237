package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.MessageDsn;

/** A queued message's envelope facts and a way to stream its content back. */
public final class StoredMessage {
    private final UUID id;
    private final String name;
    private final String sender;
    private final Instant createdAt;
    private final MessageDsn dsn;
    private final int recipientCount;
    private final int shard;
    private final MessageContent content;

    public StoredMessage(UUID id, String name, String sender, Instant createdAt, MessageDsn dsn, int recipientCount,
                         int shard, MessageContent content) {
        this.id = Objects.requireNonNull(id);
        this.name = Objects.requireNonNull(name);
        this.sender = Objects.requireNonNull(sender);
        this.createdAt = Objects.requireNonNull(createdAt);
        this.dsn = Objects.requireNonNull(dsn);
        this.recipientCount = recipientCount;
        this.shard = shard;
        this.content = Objects.requireNonNull(content);
    }

    public UUID id() {
        return id;
    }

    /** James's mail name, unique per hand-over. */
    public String name() {
        return name;
    }

    /** The reverse-path; "" for the null sender. */
    public String sender() {
        return sender;
    }

    /** When the message entered the queue: lifetimes and delay warnings count from here. */
    public Instant createdAt() {
        return createdAt;
    }

    /** RET and ENVID as the client gave them. */
    public MessageDsn dsn() {
        return dsn;
    }

    public int recipientCount() {
        return recipientCount;
    }

    /** The shard the message was queued in (its listing among the active messages is there). */
    public int shard() {
        return shard;
    }

    public long size() {
        return content.size();
    }

    /** Streams the content; fails once the content was removed after the message finished. */
    public MessageContent content() {
        return content;
    }
}
