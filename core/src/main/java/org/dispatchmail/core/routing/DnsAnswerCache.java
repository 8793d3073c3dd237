package org.dispatchmail.core.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/**
 * DNS answers kept per name and record type, so that a domain that gets many messages is not looked up for each
 * (delivery resolves MX, A and AAAA per message; submission checks each recipient domain at RCPT). Thread-safe.
 *
 * <p>Bounded: at most {@link DnsCacheSettings#size()} answers, the least recently used dropped first, so names
 * chosen by senders (recipient domains) cannot make it grow. What is kept, and how long, is {@link #lifetime}.
 */
final class DnsAnswerCache {

    private final Duration maxTtl;
    private final Clock clock;
    private final Map<Key, Kept> entries;

    DnsAnswerCache(DnsCacheSettings settings, Clock clock) {
        this.maxTtl = settings.maxTtl();
        this.clock = Objects.requireNonNull(clock, "clock");
        int size = settings.size();
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Kept> eldest) {
                return size() > size;
            }
        };
    }

    /**
     * How long an answer may be kept: records for their smallest TTL, at most {@code maxTtl}; anything else not at
     * all. A failure (SERVFAIL, timeout, no server) says nothing about the domain: kept, it would defer delivery, or
     * let unchecked recipients through at RCPT, for as long as it is kept after the DNS server is back. A negative
     * answer (NXDOMAIN, no records of the type) may be kept only as long as the SOA in its authority section says
     * (RFC 2308), which the lookup does not show here: dnsjava's own cache behind this one keeps it for that long,
     * capped at {@link MxResolver#NEGATIVE_TTL_CAP}.
     */
    static Duration lifetime(DnsAnswer answer, Duration maxTtl) {
        if (answer.kind() != DnsAnswer.Kind.RECORDS) {
            return Duration.ZERO;
        }
        long seconds = Long.MAX_VALUE;
        for (org.xbill.DNS.Record record : answer.records()) {
            seconds = Math.min(seconds, record.getTTL());
        }
        Duration ttl = Duration.ofSeconds(seconds);
        return ttl.compareTo(maxTtl) < 0 ? ttl : maxTtl;
    }

    /** The answer kept for this name and type, unless there is none or it has expired. */
    synchronized Optional<DnsAnswer> get(Name name, int type) {
        Key key = new Key(name, type);
        Kept entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(entry.expires)) {
            entries.remove(key);
            return Optional.empty();
        }
        return Optional.of(entry.answer);
    }

    /** Keeps the answer for its {@link #lifetime}; one with no lifetime replaces nothing and is not kept. */
    void put(Name name, int type, DnsAnswer answer) {
        Duration lifetime = lifetime(answer, maxTtl);
        if (lifetime.isZero() || lifetime.isNegative()) {
            return;
        }
        Instant expires = clock.instant().plus(lifetime);
        synchronized (this) {
            entries.put(new Key(name, type), new Kept(answer, expires));
        }
    }

    synchronized int size() {
        return entries.size();
    }

    private static final class Key {
        private final Name name;
        private final int type;

        Key(Name name, int type) {
            this.name = Objects.requireNonNull(name, "name");
            this.type = type;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key && ((Key) other).type == type && ((Key) other).name.equals(name);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + type;
        }

        @Override
        public String toString() {
            return name + "/" + Type.string(type);
        }
    }

    private static final class Kept {
        final DnsAnswer answer;
        final Instant expires;

        Kept(DnsAnswer answer, Instant expires) {
            this.answer = answer;
            this.expires = expires;
        }
    }
}
