package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/** AuthThrottle for one node and for tests of callers: the same rules as CassandraAuthThrottle, in memory. */
public final class InMemoryAuthThrottle implements AuthThrottle {
    private final ThrottleSettings settings;
    private final Clock clock;
    private final Map<String, Deque<Instant>> failures = new HashMap<>();
    private final Map<String, Instant> blockedUntil = new HashMap<>();

    public InMemoryAuthThrottle(int maxFailures, Duration window, Duration blockFor, Clock clock) {
        this.settings = new ThrottleSettings(maxFailures, window, blockFor);
        this.clock = clock;
    }

    @Override
    public synchronized boolean blocked(String clientAddress) {
        Instant until = blockedUntil.get(ThrottleSettings.key(clientAddress));
        return until != null && until.isAfter(clock.instant());
    }

    @Override
    public synchronized void recordFailure(String clientAddress) {
        Instant now = clock.instant();
        forgetExpired(now);
        String client = ThrottleSettings.key(clientAddress);
        Deque<Instant> recent = failures.computeIfAbsent(client, key -> new ArrayDeque<>());
        recent.addLast(now);
        // Only the last maxFailures matter: older ones can never count again once these are in.
        while (recent.size() > settings.maxFailures) {
            recent.removeFirst();
        }
        if (recent.size() >= settings.maxFailures && recent.peekFirst().isAfter(now.minus(settings.window))) {
            blockedUntil.put(client, now.plus(settings.blockFor));
        }
    }

    @Override
    public synchronized void recordSuccess(String clientAddress) {
        failures.remove(ThrottleSettings.key(clientAddress));
    }

    /** Drops what can no longer count, so memory follows the number of recently failing clients. */
    private void forgetExpired(Instant now) {
        Instant windowStart = now.minus(settings.window);
        failures.values().removeIf(times -> !times.peekLast().isAfter(windowStart));
        blockedUntil.values().removeIf(until -> !until.isAfter(now));
    }
}
