package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.delivery.RecipientOutcome;

/** What one delivery attempt to one recipient gave, and what the queue decided about it. */
public final class AttemptRecord {
    private final UUID messageId;
    private final String node;
    private final UUID claimToken;
    private final Instant attemptedAt;
    private final RecipientOutcome outcome;
    private final RecipientState decision;
    private final Optional<Instant> nextAttemptAt;

    /**
     * @param claimToken the token of the claim the attempt was made under: its outcome is written only while
     *                   the recipient still holds that claim
     */
    public AttemptRecord(UUID messageId, String node, UUID claimToken, Instant attemptedAt, RecipientOutcome outcome,
                         RecipientState decision, Optional<Instant> nextAttemptAt) {
        this.messageId = messageId;
        this.node = node;
        this.claimToken = Objects.requireNonNull(claimToken, "claimToken");
        this.attemptedAt = attemptedAt;
        this.outcome = outcome;
        this.decision = decision;
        this.nextAttemptAt = nextAttemptAt;
    }

    public UUID messageId() {
        return messageId;
    }

    public String recipient() {
        return outcome.recipient();
    }

    public String node() {
        return node;
    }

    public UUID claimToken() {
        return claimToken;
    }

    public Instant attemptedAt() {
        return attemptedAt;
    }

    public RecipientOutcome outcome() {
        return outcome;
    }

    public RecipientState decision() {
        return decision;
    }

    public Optional<Instant> nextAttemptAt() {
        return nextAttemptAt;
    }

    /** The TLS protocol and cipher of the connection, empty for plain SMTP or when none was made. */
    public Optional<String> tls() {
        return outcome.tls();
    }
}
