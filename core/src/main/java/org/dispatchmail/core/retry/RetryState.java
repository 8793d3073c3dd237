package org.dispatchmail.core.retry;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** What the queue keeps per recipient so that the retry policy can decide the next attempt. */
public final class RetryState {
    private final Instant queuedAt;
    private final int attempts;
    private final int greylistAttempts;
    private final Optional<Instant> firstGreylistedAt;
    private final int delayWarningsSent;

    /**
     * @param queuedAt when the message was queued; the lifetime and the delay-warning marks count from here
     * @param attempts delivery attempts made so far (before the one being decided)
     * @param greylistAttempts how many of them were deferred by greylisting
     * @param firstGreylistedAt when the first greylisting deferral happened; greylisting windows count from here
     * @param delayWarningsSent how many marks of retry.delayWarnings have been dealt with
     */
    public RetryState(Instant queuedAt, int attempts, int greylistAttempts, Optional<Instant> firstGreylistedAt,
                      int delayWarningsSent) {
        this.queuedAt = Objects.requireNonNull(queuedAt, "queuedAt");
        this.firstGreylistedAt = Objects.requireNonNull(firstGreylistedAt, "firstGreylistedAt");
        if (attempts < 0 || greylistAttempts < 0 || delayWarningsSent < 0) {
            throw new IllegalArgumentException("counts cannot be negative");
        }
        if (greylistAttempts > attempts) {
            throw new IllegalArgumentException("more greylisted attempts (" + greylistAttempts + ") than attempts ("
                + attempts + ")");
        }
        if (greylistAttempts > 0 && firstGreylistedAt.isEmpty()) {
            throw new IllegalArgumentException("greylisted attempts without the time of the first one");
        }
        this.attempts = attempts;
        this.greylistAttempts = greylistAttempts;
        this.delayWarningsSent = delayWarningsSent;
    }

    /** A recipient just queued, never attempted. */
    public static RetryState queued(Instant queuedAt) {
        return new RetryState(queuedAt, 0, 0, Optional.empty(), 0);
    }

    public Instant queuedAt() {
        return queuedAt;
    }

    public int attempts() {
        return attempts;
    }

    public int greylistAttempts() {
        return greylistAttempts;
    }

    public Optional<Instant> firstGreylistedAt() {
        return firstGreylistedAt;
    }

    public int delayWarningsSent() {
        return delayWarningsSent;
    }

    public RetryState withDelayWarningsSent(int count) {
        return new RetryState(queuedAt, attempts, greylistAttempts, firstGreylistedAt, count);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RetryState)) {
            return false;
        }
        RetryState other = (RetryState) o;
        return queuedAt.equals(other.queuedAt) && attempts == other.attempts
            && greylistAttempts == other.greylistAttempts && firstGreylistedAt.equals(other.firstGreylistedAt)
            && delayWarningsSent == other.delayWarningsSent;
    }

    @Override
    public int hashCode() {
        return Objects.hash(queuedAt, attempts, greylistAttempts, firstGreylistedAt, delayWarningsSent);
    }

    @Override
    public String toString() {
        return "queued " + queuedAt + ", " + attempts + " attempts (" + greylistAttempts + " greylisted"
            + firstGreylistedAt.map(t -> " since " + t).orElse("") + "), " + delayWarningsSent + " delay warnings";
    }
}
