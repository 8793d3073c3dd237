package org.dispatchmail.core.admin;

import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.StoredMessage;

/** One recipient of one queued message, as the admin lists show it. */
public final class QueueEntry {
    private final StoredMessage message;
    private final RecipientRecord recipient;

    public QueueEntry(StoredMessage message, RecipientRecord recipient) {
        this.message = message;
        this.recipient = recipient;
    }

    public StoredMessage message() {
        return message;
    }

    public RecipientRecord recipient() {
        return recipient;
    }
}
