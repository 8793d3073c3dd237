package org.dispatchmail.core.queue;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.dsn.DsnAction;

/** The stored state of one recipient of one message. Immutable; {@link #toBuilder()} makes a changed copy. */
public final class RecipientRecord {
    private final UUID messageId;
    private final String recipient;
    private final RecipientState state;
    private final int attempts;
    private final Instant nextAttemptAt;
    private final Optional<String> claimedBy;
    private final Optional<Instant> claimUntil;
    private final Optional<UUID> claimToken;
    private final Optional<String> lastResult;
    private final RecipientDsn dsn;
    private final int greylistAttempts;
    private final Optional<Instant> firstGreylistedAt;
    private final Optional<Instant> lastGreylistedAt;
    private final int delayWarningsSent;
    private final Optional<DsnAction> reportOwed;

    private RecipientRecord(Builder b) {
        this.messageId = Objects.requireNonNull(b.messageId, "messageId");
        this.recipient = Objects.requireNonNull(b.recipient, "recipient");
        this.state = Objects.requireNonNull(b.state, "state");
        this.attempts = b.attempts;
        this.nextAttemptAt = Objects.requireNonNull(b.nextAttemptAt, "nextAttemptAt");
        this.claimedBy = b.claimedBy;
        this.claimUntil = b.claimUntil;
        this.claimToken = b.claimToken;
        this.lastResult = b.lastResult;
        this.dsn = b.dsn;
        this.greylistAttempts = b.greylistAttempts;
        this.firstGreylistedAt = b.firstGreylistedAt;
        this.lastGreylistedAt = b.lastGreylistedAt;
        this.delayWarningsSent = b.delayWarningsSent;
        this.reportOwed = b.reportOwed;
    }

    /** A new recipient as enqueued: pending, due at {@code dueAt}. */
    public static RecipientRecord pending(UUID messageId, String recipient, RecipientDsn dsn, Instant dueAt) {
        return new Builder(messageId, recipient, RecipientState.PENDING, dueAt).dsn(dsn).build();
    }

    public static Builder builder(UUID messageId, String recipient, RecipientState state, Instant nextAttemptAt) {
        return new Builder(messageId, recipient, state, nextAttemptAt);
    }

    public Builder toBuilder() {
        return new Builder(messageId, recipient, state, nextAttemptAt).attempts(attempts).claimedBy(claimedBy)
            .claimUntil(claimUntil).claimToken(claimToken).lastResult(lastResult).dsn(dsn).greylistAttempts(greylistAttempts)
            .firstGreylistedAt(firstGreylistedAt).lastGreylistedAt(lastGreylistedAt)
            .delayWarningsSent(delayWarningsSent).reportOwed(reportOwed);
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

    /**
     * The token of the claim that holds this recipient, new at every claim: an outcome or a renewal is written
     * only under the same token, so an attempt whose claim was taken over (even by its own node) writes nothing.
     */
    public Optional<UUID> claimToken() {
        return claimToken;
    }

    public Optional<String> lastResult() {
        return lastResult;
    }

    /** NOTIFY and ORCPT as the client gave them. */
    public RecipientDsn dsn() {
        return dsn;
    }

    /** Temporary failures recognised as greylisting so far. */
    public int greylistAttempts() {
        return greylistAttempts;
    }

    public Optional<Instant> firstGreylistedAt() {
        return firstGreylistedAt;
    }

    public Optional<Instant> lastGreylistedAt() {
        return lastGreylistedAt;
    }

    /** How many delayed-delivery reports (RFC 3464 action=delayed) were sent for this recipient. */
    public int delayWarningsSent() {
        return delayWarningsSent;
    }

    /**
     * The report (failed, delayed or relayed) that the state written says is due to the sender and that was not
     * handed to James yet: sent after the state is written, cleared once sent, sent again by a worker if not.
     */
    public Optional<DsnAction> reportOwed() {
        return reportOwed;
    }

    /** Whether a worker may take this recipient now: waiting and due, or held by a claim that ran out. */
    public boolean claimableAt(Instant now) {
        if (state == RecipientState.PENDING || state == RecipientState.DEFERRED) {
            return !nextAttemptAt.isAfter(now);
        }
        return state == RecipientState.IN_FLIGHT && claimUntil.map(until -> !until.isAfter(now)).orElse(true);
    }

    @Override
    public String toString() {
        return messageId + "/" + recipient + " " + state + " attempts=" + attempts + " next=" + nextAttemptAt
            + claimedBy.map(n -> " claimedBy=" + n).orElse("");
    }

    /** Builds a record; every optional part defaults to empty, every count to 0. */
    public static final class Builder {
        private final UUID messageId;
        private final String recipient;
        private RecipientState state;
        private int attempts;
        private Instant nextAttemptAt;
        private Optional<String> claimedBy = Optional.empty();
        private Optional<Instant> claimUntil = Optional.empty();
        private Optional<UUID> claimToken = Optional.empty();
        private Optional<String> lastResult = Optional.empty();
        private RecipientDsn dsn = RecipientDsn.NONE;
        private int greylistAttempts;
        private Optional<Instant> firstGreylistedAt = Optional.empty();
        private Optional<Instant> lastGreylistedAt = Optional.empty();
        private int delayWarningsSent;
        private Optional<DsnAction> reportOwed = Optional.empty();

        private Builder(UUID messageId, String recipient, RecipientState state, Instant nextAttemptAt) {
            this.messageId = messageId;
            this.recipient = recipient;
            this.state = state;
            this.nextAttemptAt = nextAttemptAt;
        }

        public Builder state(RecipientState value) {
            this.state = value;
            return this;
        }

        public Builder attempts(int value) {
            this.attempts = value;
            return this;
        }

        public Builder nextAttemptAt(Instant value) {
            this.nextAttemptAt = value;
            return this;
        }

        public Builder claimedBy(Optional<String> value) {
            this.claimedBy = Objects.requireNonNull(value);
            return this;
        }

        public Builder claimUntil(Optional<Instant> value) {
            this.claimUntil = Objects.requireNonNull(value);
            return this;
        }

        public Builder claimToken(Optional<UUID> value) {
            this.claimToken = Objects.requireNonNull(value);
            return this;
        }

        /** Clears the claim: the record is nobody's. */
        public Builder unclaimed() {
            return claimedBy(Optional.empty()).claimUntil(Optional.empty()).claimToken(Optional.empty());
        }

        public Builder lastResult(Optional<String> value) {
            this.lastResult = Objects.requireNonNull(value);
            return this;
        }

        public Builder dsn(RecipientDsn value) {
            this.dsn = Objects.requireNonNull(value);
            return this;
        }

        public Builder greylistAttempts(int value) {
            this.greylistAttempts = value;
            return this;
        }

        public Builder firstGreylistedAt(Optional<Instant> value) {
            this.firstGreylistedAt = Objects.requireNonNull(value);
            return this;
        }

        public Builder lastGreylistedAt(Optional<Instant> value) {
            this.lastGreylistedAt = Objects.requireNonNull(value);
            return this;
        }

        public Builder delayWarningsSent(int value) {
            this.delayWarningsSent = value;
            return this;
        }

        public Builder reportOwed(Optional<DsnAction> value) {
            this.reportOwed = Objects.requireNonNull(value);
            return this;
        }

        public RecipientRecord build() {
            return new RecipientRecord(this);
        }
    }
}
