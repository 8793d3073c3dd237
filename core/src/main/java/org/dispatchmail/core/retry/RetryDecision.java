package org.dispatchmail.core.retry;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** The retry policy's answer for one temporary failure: try again at a time, or give up (expire). */
public final class RetryDecision {

    /** What chose the retry time. */
    public enum Basis {
        /** retry.schedule, by the number of attempts. */
        SCHEDULE,
        /** The delay the greylisting reply named, plus retry.greylist.hintMargin. */
        HINT,
        /** The greylisting window learned from earlier deliveries to the destination. */
        LEARNED_WINDOW,
        /** retry.greylist.probes. */
        PROBE,
        /**
         * Another message probes the destination's greylisting: wait for the window it finds, at the latest
         * until the last probe this recipient would have made (retry.greylist.singleProber).
         */
        WAIT_FOR_PROBER,
        /** The next time would be past retry.maxLifetime: one last attempt when the lifetime ends. */
        LIFETIME_END,
        /** No time left: the recipient expires. */
        EXPIRED
    }

    private final Instant retryAt;
    private final Instant plannedAt;
    private final Basis basis;
    private final Optional<GreylistSignal> greylisting;
    private final RetryState nextState;

    private RetryDecision(Instant retryAt, Instant plannedAt, Basis basis, Optional<GreylistSignal> greylisting,
                          RetryState nextState) {
        this.retryAt = retryAt;
        this.plannedAt = plannedAt;
        this.basis = Objects.requireNonNull(basis, "basis");
        this.greylisting = Objects.requireNonNull(greylisting, "greylisting");
        this.nextState = Objects.requireNonNull(nextState, "nextState");
    }

    /** A retry at {@code at}: {@code plannedAt} plus the jitter drawn. */
    static RetryDecision retry(Instant at, Instant plannedAt, Basis basis, Optional<GreylistSignal> greylisting,
                               RetryState nextState) {
        return new RetryDecision(Objects.requireNonNull(at, "at"), Objects.requireNonNull(plannedAt, "plannedAt"),
            basis, greylisting, nextState);
    }

    static RetryDecision expire(Optional<GreylistSignal> greylisting, RetryState nextState) {
        return new RetryDecision(null, null, Basis.EXPIRED, greylisting, nextState);
    }

    public boolean expired() {
        return retryAt == null;
    }

    /** When to try again; empty when the recipient expires. */
    public Optional<Instant> retryAt() {
        return Optional.ofNullable(retryAt);
    }

    /**
     * The retry time before jitter; empty when the recipient expires. Recipients deferred together with the
     * same basis and the same planned time can share one retry time (and so one transaction).
     */
    public Optional<Instant> plannedAt() {
        return Optional.ofNullable(plannedAt);
    }

    public Basis basis() {
        return basis;
    }

    /** True when this failure was recognised as greylisting. */
    public boolean greylisted() {
        return greylisting.isPresent();
    }

    public Optional<GreylistSignal> greylisting() {
        return greylisting;
    }

    /** The state to store: one more attempt, and the greylisting counters updated. */
    public RetryState nextState() {
        return nextState;
    }

    public int greylistAttempts() {
        return nextState.greylistAttempts();
    }

    public Optional<Instant> firstGreylistedAt() {
        return nextState.firstGreylistedAt();
    }

    @Override
    public String toString() {
        return (expired() ? "expire" : "retry at " + retryAt + " (" + basis + ")")
            + greylisting.map(g -> ", " + g).orElse("");
    }
}
