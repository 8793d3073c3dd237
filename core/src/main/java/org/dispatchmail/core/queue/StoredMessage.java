package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.UUID;

import org.dispatchmail.core.delivery.MessageContent;

/** A queued message's envelope facts and a way to stream its content back. */
public final class StoredMessage {
    private final UUID id;
    private final String name;
    private final String sender;
    private final Instant createdAt;
    private final MessageContent content;

    public StoredMessage(UUID id, String name, String sender, Instant createdAt, MessageContent content) {
        this.id = id;
        this.name = name;
        this.sender = sender;
        this.createdAt = createdAt;
        this.content = content;
    }

    public UUID id() {
        return id;
    }

    public String name() {
        return name;
    }

    public String sender() {
        return sender;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public MessageContent content() {
        return content;
    }
}
