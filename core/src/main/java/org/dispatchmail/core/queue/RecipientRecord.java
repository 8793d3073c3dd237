package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/** The stored state of one recipient of one message. */
public final class RecipientRecord {
    private final UUID messageId;
    private final String recipient;
    private final RecipientState state;
    private final int attempts;
    private final Instant nextAttemptAt;
    private final Optional<String> claimedBy;
    private final Optional<Instant> claimUntil;
    private final Optional<String> lastResult;

    public RecipientRecord(UUID messageId, String recipient, RecipientState state, int attempts, Instant nextAttemptAt,
                           Optional<String> claimedBy, Optional<Instant> claimUntil, Optional<String> lastResult) {
        this.messageId = messageId;
        this.recipient = recipient;
        this.state = state;
        this.attempts = attempts;
        this.nextAttemptAt = nextAttemptAt;
        this.claimedBy = claimedBy;
        this.claimUntil = claimUntil;
        this.lastResult = lastResult;
    }

    public UUID messageId() {
        return messageId;
    }

    public String recipient() {
        return recipient;
    }

    public RecipientState state() {
        return state;
    }

    public int attempts() {
        return attempts;
    }

    public Instant nextAttemptAt() {
        return nextAttemptAt;
    }

    public Optional<String> claimedBy() {
        return claimedBy;
    }

    public Optional<Instant> claimUntil() {
        return claimUntil;
    }

    public Optional<String> lastResult() {
        return lastResult;
    }

    /** Whether a worker may take this recipient now: waiting and due, or held by a claim that ran out. */
    public boolean claimableAt(Instant now) {
        if (state == RecipientState.PENDING || state == RecipientState.DEFERRED) {
            return !nextAttemptAt.isAfter(now);
        }
        return state == RecipientState.IN_FLIGHT && claimUntil.map(until -> !until.isAfter(now)).orElse(true);
    }
}
