package org.dispatchmail.core.intake;

import java.time.Duration;

/** Waits that double after each failure, from {@code first} up to {@code max}, and start over after a success. */
public final class Backoff {
    private final Duration first;
    private final Duration max;
    private Duration current;

    public Backoff(Duration first, Duration max) {
        this.first = first;
        this.max = max;
        this.current = first;
    }

    /** The wait before the next try after a failed one. */
    public synchronized Duration failed() {
        Duration wait = current;
        Duration doubled = current.multipliedBy(2);
        current = doubled.compareTo(max) > 0 ? max : doubled;
        return wait;
    }

    /** The wait before the next try after one that worked. */
    public synchronized Duration succeeded() {
        current = first;
        return first;
    }
}
