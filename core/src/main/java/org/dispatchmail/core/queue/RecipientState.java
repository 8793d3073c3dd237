package org.dispatchmail.core.queue;

/** Where one recipient of a queued message stands. */
public enum RecipientState {
    PENDING, IN_FLIGHT, DEFERRED, HELD, DELIVERED, BOUNCED, EXPIRED;

    public boolean isFinal() {
        return this == DELIVERED || this == BOUNCED || this == EXPIRED;
    }

    /** Waiting for an attempt: what "retry now", "hold" and "bounce now" apply to. */
    public boolean isWaiting() {
        return this == PENDING || this == DEFERRED || this == HELD;
    }
}
