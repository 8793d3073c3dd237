package org.dispatchmail.core.submission;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/** The numbers of an AuthThrottle, checked once; and the form client addresses are counted under. */
final class ThrottleSettings {
    final int maxFailures;
    final Duration window;
    final Duration blockFor;

    ThrottleSettings(int maxFailures, Duration window, Duration blockFor) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("maxFailures must be at least 1, not " + maxFailures);
        }
        if (window == null || window.toSeconds() < 1) {
            throw new IllegalArgumentException("the failure window must be at least 1 second, not " + window);
        }
        if (blockFor == null || blockFor.toSeconds() < 1) {
            throw new IllegalArgumentException("the block must last at least 1 second, not " + blockFor);
        }
        this.maxFailures = maxFailures;
        this.window = window;
        this.blockFor = blockFor;
    }

    static String key(String clientAddress) {
        return Objects.requireNonNull(clientAddress, "clientAddress").trim().toLowerCase(Locale.ROOT);
    }

    /** A Cassandra TTL: whole seconds, rounded up. */
    static int ttlSeconds(Duration duration) {
        long seconds = duration.toSeconds() + (duration.toNanosPart() > 0 ? 1 : 0);
        return (int) Math.min(seconds, Integer.MAX_VALUE);
    }
}
