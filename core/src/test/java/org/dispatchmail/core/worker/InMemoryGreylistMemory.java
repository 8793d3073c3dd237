package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.queue.GreylistMemory;

/**
 * {@link GreylistMemory} as {@code CassandraGreylistMemory} behaves: a row per destination (window, prober) and
 * a row per waiter, each with a TTL in seconds; the prober is taken only where there is none.
 */
public final class InMemoryGreylistMemory implements GreylistMemory {
    private final Clock clock;
    private final Map<String, Expiring<LearnedWindow>> windows = new HashMap<>();
    private final Map<String, Expiring<Prober>> probers = new HashMap<>();
    private final Map<String, Map<Waiter, Instant>> waiters = new HashMap<>();

    private static final class Expiring<T> {
        final T value;
        final Instant until;

        Expiring(T value, Instant until) {
            this.value = value;
            this.until = until;
        }
    }

    public InMemoryGreylistMemory(Clock clock) {
        this.clock = clock;
    }

    private Instant until(Duration keepFor) {
        return clock.instant().plusSeconds(Math.max(1, keepFor.getSeconds()));
    }

    private <T> Optional<T> live(Expiring<T> row) {
        return row == null || !row.until.isAfter(clock.instant()) ? Optional.empty() : Optional.of(row.value);
    }

    @Override
    public synchronized Optional<LearnedWindow> window(String destination) {
        return live(windows.get(destination));
    }

    @Override
    public synchronized void remember(String destination, LearnedWindow window, Duration keepFor) {
        windows.put(destination, new Expiring<>(window, until(keepFor)));
    }

    @Override
    public synchronized Optional<Prober> prober(String destination) {
        return live(probers.get(destination));
    }

    @Override
    public synchronized Prober becomeProber(String destination, Prober candidate, Duration keepFor) {
        Optional<Prober> current = prober(destination);
        if (current.isPresent()) {
            return current.get();
        }
        probers.put(destination, new Expiring<>(candidate, until(keepFor)));
        return candidate;
    }

    @Override
    public synchronized void removeProber(String destination, UUID messageId) {
        Optional<Prober> current = prober(destination);
        if (current.isPresent() && current.get().messageId().equals(messageId)) {
            probers.remove(destination);
        }
    }

    @Override
    public synchronized void addWaiter(String destination, Waiter waiter, Duration keepFor) {
        waiters.computeIfAbsent(destination, d -> new LinkedHashMap<>()).put(waiter, until(keepFor));
    }

    @Override
    public synchronized List<Waiter> waiters(String destination) {
        List<Waiter> live = new ArrayList<>();
        for (Map.Entry<Waiter, Instant> entry : waiters.getOrDefault(destination, Map.of()).entrySet()) {
            if (entry.getValue().isAfter(clock.instant())) {
                live.add(entry.getKey());
            }
        }
        return live;
    }

    @Override
    public synchronized void removeWaiters(String destination, UUID messageId) {
        Map<Waiter, Instant> rows = waiters.get(destination);
        if (rows != null) {
            rows.keySet().removeIf(waiter -> waiter.messageId().equals(messageId));
        }
    }
}
