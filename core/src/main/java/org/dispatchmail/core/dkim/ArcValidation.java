package org.dispatchmail.core.dkim;

import java.util.Objects;

/** What validating a message's ARC chain gave (RFC 8617 §5.2), and whether a sealer may still extend it. */
public final class ArcValidation {

    private final ArcChainStatus status;
    private final int highestInstance;
    private final boolean ended;
    private final String reason;

    ArcValidation(ArcChainStatus status, int highestInstance, boolean ended, String reason) {
        this.status = Objects.requireNonNull(status, "status");
        this.highestInstance = highestInstance;
        this.ended = ended;
        this.reason = reason == null ? "" : reason;
    }

    public ArcChainStatus status() {
        return status;
    }

    /** The highest i= on the message; 0 without ARC. */
    public int highestInstance() {
        return highestInstance;
    }

    /**
     * Whether the latest ARC-Seal already says cv=fail: RFC 8617 §5.1 forbids adding a set after it, and so does a
     * chain already at the highest instance allowed.
     */
    public boolean ended() {
        return ended;
    }

    /** Why the chain failed; empty otherwise. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return "arc=" + status.token() + (reason.isEmpty() ? "" : " (" + reason + ")");
    }
}
