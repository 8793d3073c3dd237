package org.dispatchmail.core.queue;

/** Where one recipient of a queued message stands. */
public enum RecipientState {
    PENDING, IN_FLIGHT, DEFERRED, DELIVERED, BOUNCED, EXPIRED;

    public boolean isFinal() {
        return this == DELIVERED || this == BOUNCED || this == EXPIRED;
    }
}
