package org.dispatchmail.core.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Greylisting windows learned per destination and shared by every node: the first greylisted
 * recipient of a domain teaches when the others may be retried.
 */
public interface GreylistMemory {

    Optional<LearnedWindow> window(String destination);

    void remember(String destination, LearnedWindow window, Duration keepFor);

    /** Between {@code lower} and {@code upper} after the first greylisted attempt, the window ended. */
    final class LearnedWindow {
        private final Duration lower;
        private final Duration upper;
        private final Instant observedAt;

        public LearnedWindow(Duration lower, Duration upper, Instant observedAt) {
            this.lower = lower;
            this.upper = upper;
            this.observedAt = observedAt;
        }

        public Duration lower() {
            return lower;
        }

        public Duration upper() {
            return upper;
        }

        public Instant observedAt() {
            return observedAt;
        }
    }
}
