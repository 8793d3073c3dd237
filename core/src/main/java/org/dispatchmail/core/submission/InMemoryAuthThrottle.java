package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** AuthThrottle of one process, for tests of callers: the same rules as CassandraAuthThrottle, in memory. */
public final class InMemoryAuthThrottle implements AuthThrottle {
    private final ThrottleSettings settings;
    private final Clock clock;
    private final Map<ThrottleKey, List<AuthAttempt>> reservations = new HashMap<>();

    public InMemoryAuthThrottle(ThrottleSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    @Override
    public synchronized AuthAttempt reserve(String clientAddress, Optional<String> login) {
        Instant now = clock.instant();
        forgetExpired(now);
        List<ThrottleKey> keys = AuthAttempt.keysOf(clientAddress, login);
        for (ThrottleKey key : keys) {
            if (reservations.getOrDefault(key, List.of()).size() >= settings.max(key)) {
                return AuthAttempt.refused(key.isAddress() ? AuthAttempt.Verdict.ADDRESS_THROTTLED
                    : AuthAttempt.Verdict.LOGIN_THROTTLED);
            }
        }
        AuthAttempt attempt = new AuthAttempt(AuthAttempt.Verdict.ALLOWED, keys, now, UUID.randomUUID());
        for (ThrottleKey key : keys) {
            reservations.computeIfAbsent(key, k -> new ArrayList<>()).add(attempt);
        }
        return attempt;
    }

    @Override
    public synchronized void succeeded(AuthAttempt attempt) {
        for (ThrottleKey key : attempt.keys()) {
            List<AuthAttempt> kept = reservations.get(key);
            if (kept != null) {
                kept.removeIf(reserved -> reserved.id().equals(attempt.id()));
            }
        }
    }

    /** Drops what can no longer count, so memory follows the number of recently failing clients and logins. */
    private void forgetExpired(Instant now) {
        Instant windowStart = now.minus(settings.window);
        reservations.values().forEach(list -> list.removeIf(reserved -> !reserved.at().isAfter(windowStart)));
        reservations.values().removeIf(List::isEmpty);
    }
}
