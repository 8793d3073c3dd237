package org.dispatchmail.core.queue;

import java.util.List;
import java.util.Objects;

/** A message handed to the queue: its envelope and its RFC 5322 bytes (CRLF line endings). */
public final class NewMessage {
    private final String name;
    private final String sender;
    private final List<String> recipients;
    private final byte[] content;

    /**
     * @param name a name unique to this mail (James's mail name): enqueuing the same name twice stores
     *             one message, so a retried hand-over never queues a duplicate
     * @param sender the reverse-path, "" for the null sender
     */
    public NewMessage(String name, String sender, List<String> recipients, byte[] content) {
        this.name = Objects.requireNonNull(name);
        this.sender = Objects.requireNonNull(sender);
        this.recipients = List.copyOf(recipients);
        this.content = content.clone();
        if (this.recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient");
        }
    }

    public String name() {
        return name;
    }

    public String sender() {
        return sender;
    }

    public List<String> recipients() {
        return recipients;
    }

    public byte[] content() {
        return content.clone();
    }

    public int size() {
        return content.length;
    }
}
