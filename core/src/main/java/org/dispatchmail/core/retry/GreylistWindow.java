package org.dispatchmail.core.retry;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What deliveries taught about one destination's greylisting: the window (time from the first deferral
 * until the server accepts) is more than {@code lowerBound} and at most {@code upperBound}.
 */
public final class GreylistWindow {
    private final Duration lowerBound;
    private final Duration upperBound;
    private final Instant observedAt;

    public GreylistWindow(Duration lowerBound, Duration upperBound, Instant observedAt) {
        this.lowerBound = Objects.requireNonNull(lowerBound, "lowerBound");
        this.upperBound = Objects.requireNonNull(upperBound, "upperBound");
        this.observedAt = Objects.requireNonNull(observedAt, "observedAt");
        if (lowerBound.isNegative() || upperBound.compareTo(lowerBound) <= 0) {
            throw new IllegalArgumentException("a window needs 0 <= lowerBound < upperBound, not "
                + lowerBound + ", " + upperBound);
        }
    }

    public Duration lowerBound() {
        return lowerBound;
    }

    public Duration upperBound() {
        return upperBound;
    }

    /** When the newest observation that shaped this window was made. */
    public Instant observedAt() {
        return observedAt;
    }

    /**
     * Combines what was known with a new observation. Both hold when the server's window has not changed,
     * so their intersection is the sharper answer; when they do not overlap the window has changed and the
     * new observation alone is believed.
     */
    public static GreylistWindow merge(GreylistWindow old, GreylistWindow observed) {
        Instant newest = old.observedAt.isAfter(observed.observedAt) ? old.observedAt : observed.observedAt;
        Duration lower = max(old.lowerBound, observed.lowerBound);
        Duration upper = min(old.upperBound, observed.upperBound);
        if (lower.compareTo(upper) >= 0) {
            return new GreylistWindow(observed.lowerBound, observed.upperBound, newest);
        }
        return new GreylistWindow(lower, upper, newest);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GreylistWindow && ((GreylistWindow) o).lowerBound.equals(lowerBound)
            && ((GreylistWindow) o).upperBound.equals(upperBound) && ((GreylistWindow) o).observedAt.equals(observedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(lowerBound, upperBound, observedAt);
    }

    @Override
    public String toString() {
        return "greylisting window (" + lowerBound.getSeconds() + "s, " + upperBound.getSeconds() + "s] observed "
            + observedAt;
    }
}
