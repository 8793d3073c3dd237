package org.dispatchmail.core.mtasts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** MtaStsStore of one process, for unit tests; each part is forgotten after its keepFor, as Cassandra's TTL does. */
public final class InMemoryMtaStsStore implements MtaStsStore {
    private final Clock clock;
    private final Map<String, Kept<StoredPolicy>> policies = new HashMap<>();
    private final Map<String, Kept<RefreshFailure>> failures = new HashMap<>();

    public InMemoryMtaStsStore(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Optional<Entry> read(String domain) {
        Instant now = clock.instant();
        Optional<StoredPolicy> policy = live(policies, domain, now);
        Optional<RefreshFailure> failure = live(failures, domain, now);
        if (policy.isEmpty() && failure.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Entry(policy, failure));
    }

    @Override
    public synchronized void save(String domain, StoredPolicy policy, Duration keepFor) {
        policies.put(domain, new Kept<>(policy, clock.instant().plus(keepFor)));
        failures.remove(domain);
    }

    @Override
    public synchronized void recordFailure(String domain, RefreshFailure failure, Duration keepFor) {
        failures.put(domain, new Kept<>(failure, clock.instant().plus(keepFor)));
    }

    private static <T> Optional<T> live(Map<String, Kept<T>> map, String domain, Instant now) {
        Kept<T> kept = map.get(domain);
        if (kept == null) {
            return Optional.empty();
        }
        if (!now.isBefore(kept.until)) {
            map.remove(domain);
            return Optional.empty();
        }
        return Optional.of(kept.value);
    }

    private static final class Kept<T> {
        final T value;
        final Instant until;

        Kept(T value, Instant until) {
            this.value = value;
            this.until = until;
        }
    }
}
