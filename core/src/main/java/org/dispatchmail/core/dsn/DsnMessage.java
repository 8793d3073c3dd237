package org.dispatchmail.core.dsn;

import java.util.Objects;

/** A built report: the RFC 5322 message, ready to be sent with the null sender. */
public final class DsnMessage {
    private final byte[] bytes;
    private final String messageId;
    private final boolean eightBit;
    private final boolean originalTruncated;

    DsnMessage(byte[] bytes, String messageId, boolean eightBit, boolean originalTruncated) {
        this.bytes = Objects.requireNonNull(bytes, "bytes");
        this.messageId = Objects.requireNonNull(messageId, "messageId");
        this.eightBit = eightBit;
        this.originalTruncated = originalTruncated;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int size() {
        return bytes.length;
    }

    /** The Message-ID, without angle brackets. */
    public String messageId() {
        return messageId;
    }

    /**
     * True when the report has 8-bit bytes (from the returned original, or a UTF-8 envelope sender in To:):
     * send it with BODY=8BITMIME (and SMTPUTF8 for a UTF-8 address).
     */
    public boolean eightBit() {
        return eightBit;
    }

    /** True when the whole original was due but was over the size cap, so only its headers were returned. */
    public boolean originalTruncated() {
        return originalTruncated;
    }
}
