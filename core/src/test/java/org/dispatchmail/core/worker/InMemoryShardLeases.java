package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.dispatchmail.core.queue.ShardLeases;

/**
 * {@link ShardLeases} as {@code CassandraShardLeases} behaves: heartbeats and leases are rows with a TTL in
 * whole seconds (at least 1), gone once the clock reaches their end; acquire is IF NOT EXISTS, renew and
 * release are IF owner = node.
 */
public final class InMemoryShardLeases implements ShardLeases {
    private final Clock clock;
    private final Map<String, Instant> heartbeats = new HashMap<>();
    private final Map<Integer, Lease> leases = new HashMap<>();

    public InMemoryShardLeases(Clock clock) {
        this.clock = clock;
    }

    @Override
    public synchronized void heartbeat(String node, Duration ttl) {
        heartbeats.put(node, expiry(ttl));
    }

    @Override
    public synchronized Set<String> liveNodes() {
        Instant now = clock.instant();
        Set<String> live = new TreeSet<>();
        heartbeats.forEach((node, until) -> {
            if (until.isAfter(now)) {
                live.add(node);
            }
        });
        return live;
    }

    @Override
    public synchronized Map<Integer, String> owners() {
        Map<Integer, String> owners = new TreeMap<>();
        Instant now = clock.instant();
        leases.forEach((shard, lease) -> {
            if (lease.until.isAfter(now)) {
                owners.put(shard, lease.owner);
            }
        });
        return owners;
    }

    @Override
    public synchronized boolean acquire(int shard, String node, Duration ttl) {
        if (live(shard) != null) {
            return false;
        }
        leases.put(shard, new Lease(node, expiry(ttl)));
        return true;
    }

    @Override
    public synchronized boolean renew(int shard, String node, Duration ttl) {
        Lease lease = live(shard);
        if (lease == null || !lease.owner.equals(node)) {
            return false;
        }
        leases.put(shard, new Lease(node, expiry(ttl)));
        return true;
    }

    @Override
    public synchronized void release(int shard, String node) {
        Lease lease = live(shard);
        if (lease != null && lease.owner.equals(node)) {
            leases.remove(shard);
        }
    }

    /** The shards a node holds now. */
    public synchronized Set<Integer> heldBy(String node) {
        Set<Integer> held = new TreeSet<>();
        owners().forEach((shard, owner) -> {
            if (owner.equals(node)) {
                held.add(shard);
            }
        });
        return held;
    }

    private Lease live(int shard) {
        Lease lease = leases.get(shard);
        return lease != null && lease.until.isAfter(clock.instant()) ? lease : null;
    }

    private Instant expiry(Duration ttl) {
        return clock.instant().plusSeconds(Math.max(1, ttl.getSeconds()));
    }

    private static final class Lease {
        final String owner;
        final Instant until;

        Lease(String owner, Instant until) {
            this.owner = owner;
            this.until = until;
        }
    }
}
