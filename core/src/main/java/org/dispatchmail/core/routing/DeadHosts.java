package org.dispatchmail.core.routing;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Server addresses (address and port) of this node that recently refused or ignored a connection, skipped until
 * their dead time is over so that every queued message does not wait out the same connect timeout again. Bounded:
 * beyond the capacity the oldest entry goes. Thread-safe.
 */
public final class DeadHosts {

    /** Enough for every server a busy node talks to; an entry is a few hundred bytes. */
    public static final int DEFAULT_CAPACITY = 10_000;

    private final Duration deadTime;
    private final int capacity;
    private final Clock clock;
    // insertion order is age order: a refreshed entry is removed and put back at the end
    private final LinkedHashMap<InetSocketAddress, Entry> entries = new LinkedHashMap<>();

    /**
     * @param deadTime how long an unreachable address is skipped; zero turns the cache off
     * @param capacity at most this many addresses are remembered
     */
    public DeadHosts(Duration deadTime, int capacity, Clock clock) {
        Objects.requireNonNull(deadTime, "deadTime");
        if (deadTime.isNegative()) {
            throw new IllegalArgumentException("dead time must not be negative: " + deadTime);
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1: " + capacity);
        }
        this.deadTime = deadTime;
        this.capacity = capacity;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Why {@code server} is being skipped, while it is; empty when it may be tried. */
    public synchronized Optional<Entry> find(InetSocketAddress server) {
        Entry entry = entries.get(server);
        if (entry == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(entry.since.plus(deadTime))) {
            entries.remove(server);
            return Optional.empty();
        }
        return Optional.of(entry);
    }

    /** Skips {@code server} from now for the dead time. {@code error} says what happened, for later reports. */
    public synchronized void markDead(InetSocketAddress server, String error) {
        if (deadTime.isZero()) {
            return;
        }
        entries.remove(server);
        entries.put(server, new Entry(server, clock.instant(), error));
        Iterator<Map.Entry<InetSocketAddress, Entry>> oldest = entries.entrySet().iterator();
        while (entries.size() > capacity) {
            oldest.next();
            oldest.remove();
        }
    }

    /** {@code server} answered: try it again from now on. */
    public synchronized void markAlive(InetSocketAddress server) {
        entries.remove(server);
    }

    /** How many addresses are remembered, expired ones included until they are next looked at. */
    public synchronized int size() {
        return entries.size();
    }

    public Duration deadTime() {
        return deadTime;
    }

    /** One unreachable server address: since when, and what went wrong. */
    public static final class Entry {
        private final InetSocketAddress server;
        private final Instant since;
        private final String error;

        Entry(InetSocketAddress server, Instant since, String error) {
            this.server = server;
            this.since = since;
            this.error = Objects.requireNonNull(error, "error");
        }

        public InetSocketAddress server() {
            return server;
        }

        public Instant since() {
            return since;
        }

        public String error() {
            return error;
        }

        @Override
        public String toString() {
            return error + " at " + since;
        }
    }
}
