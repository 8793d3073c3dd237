package org.dispatchmail.core.intake;

import java.time.Instant;
import java.util.Objects;

import org.dispatchmail.core.delivery.MessageContent;

/**
 * A mail an SMTP listener accepted and has not finished processing: who wrote it (the node's id), its
 * name, when it came, its envelope and attributes (opaque bytes the mail container reads back) and its
 * RFC 5322 content, read as a stream (when journaled, from the listener's spool; when read back, from
 * the journal's chunks), so a large mail is never held in memory whole.
 */
public final class IntakeEntry {
    private final String writer;
    private final String mailName;
    private final Instant receivedAt;
    private final byte[] envelope;
    private final MessageContent content;

    public IntakeEntry(String writer, String mailName, Instant receivedAt, byte[] envelope, MessageContent content) {
        this.writer = Objects.requireNonNull(writer);
        this.mailName = Objects.requireNonNull(mailName);
        this.receivedAt = Objects.requireNonNull(receivedAt);
        this.envelope = envelope.clone();
        this.content = Objects.requireNonNull(content);
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

    public MessageContent content() {
        return content;
    }

    /** The content's size in bytes (exact for an entry read back from the journal). */
    public long size() {
        return content.size();
    }

    /** The same mail, now in the care of another node. */
    public IntakeEntry adoptedBy(String node) {
        return new IntakeEntry(node, mailName, receivedAt, envelope, content);
    }
}
