package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.core.queue.GreylistMemory;

/** {@link GreylistMemory} as {@code CassandraGreylistMemory} behaves: a row per destination with a TTL in seconds. */
public final class InMemoryGreylistMemory implements GreylistMemory {
    private final Clock clock;
    private final Map<String, LearnedWindow> windows = new HashMap<>();
    private final Map<String, Instant> expiries = new HashMap<>();

    public InMemoryGreylistMemory(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized Optional<LearnedWindow> window(String destination) {
        Instant until = expiries.get(destination);
        if (until == null || !until.isAfter(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(windows.get(destination));
    }

    @Override
    public synchronized void remember(String destination, LearnedWindow window, Duration keepFor) {
        windows.put(destination, window);
        expiries.put(destination, clock.instant().plusSeconds(Math.max(1, keepFor.getSeconds())));
    }
}
