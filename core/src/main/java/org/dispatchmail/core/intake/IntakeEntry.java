package org.dispatchmail.core.intake;

import java.time.Instant;
import java.util.Objects;

/**
 * A mail an SMTP listener accepted and has not finished processing: who wrote it (the node's id), its
 * name, when it came, its envelope and attributes (opaque bytes the mail container reads back) and its
 * RFC 5322 content.
 */
public final class IntakeEntry {
    private final String writer;
    private final String mailName;
    private final Instant receivedAt;
    private final byte[] envelope;
    private final byte[] content;

    public IntakeEntry(String writer, String mailName, Instant receivedAt, byte[] envelope, byte[] content) {
        this.writer = Objects.requireNonNull(writer);
        this.mailName = Objects.requireNonNull(mailName);
        this.receivedAt = Objects.requireNonNull(receivedAt);
        this.envelope = envelope.clone();
        this.content = content.clone();
    }

    public String writer() {
        return writer;
    }

    public String mailName() {
        return mailName;
    }

    public IntakeKey key() {
        return new IntakeKey(writer, mailName);
    }

    public Instant receivedAt() {
        return receivedAt;
    }

    public byte[] envelope() {
        return envelope.clone();
    }

    public byte[] content() {
        return content.clone();
    }

    public int size() {
        return content.length;
    }

    /** The same mail, now in the care of another node. */
    public IntakeEntry adoptedBy(String node) {
        return new IntakeEntry(node, mailName, receivedAt, envelope, content);
    }
}
