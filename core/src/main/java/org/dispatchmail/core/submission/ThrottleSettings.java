package org.dispatchmail.core.submission;

import java.time.Duration;

/** The numbers of an AuthThrottle, checked once. */
public final class ThrottleSettings {
    final int maxPerAddress;
    final int maxPerLogin;
    final Duration window;

    /**
     * @param maxPerAddress failed AUTHs counted per client address (IPv6 per /64) within the window before the
     *                      address is refused
     * @param maxPerLogin   failed AUTHs counted per login, whichever addresses they came from
     */
    public ThrottleSettings(int maxPerAddress, int maxPerLogin, Duration window) {
        if (maxPerAddress < 1) {
            throw new IllegalArgumentException("failures per address must be at least 1, not " + maxPerAddress);
        }
        if (maxPerLogin < 1) {
            throw new IllegalArgumentException("failures per login must be at least 1, not " + maxPerLogin);
        }
        if (window == null || window.toSeconds() < 1) {
            throw new IllegalArgumentException("the failure window must be at least 1 second, not " + window);
        }
        this.maxPerAddress = maxPerAddress;
        this.maxPerLogin = maxPerLogin;
        this.window = window;
    }

    int max(ThrottleKey key) {
        return key.isAddress() ? maxPerAddress : maxPerLogin;
    }

    /** A Cassandra TTL: whole seconds, rounded up. */
    static int ttlSeconds(Duration duration) {
        long seconds = duration.toSeconds() + (duration.toNanosPart() > 0 ? 1 : 0);
        return (int) Math.min(seconds, Integer.MAX_VALUE);
    }
}
