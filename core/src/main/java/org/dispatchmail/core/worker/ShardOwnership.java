package org.dispatchmail.core.worker;

import java.time.Duration;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

import org.dispatchmail.core.queue.ShardLeases;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's shard leases: heartbeat, renew, take a fair share of the free shards, give back
 * what is over it. The worker polls only the shards listed here; when renewing fails (Cassandra away)
 * the node stops polling them once their lease would have run out, since another node may have them.
 */
final class ShardOwnership {
    private static final Logger LOGGER = LoggerFactory.getLogger(ShardOwnership.class);

    private final ShardLeases leases;
    private final String node;
    private final int shards;
    private final Duration leaseTime;
    private volatile Set<Integer> owned = Collections.emptySet();
    private volatile Set<String> liveNodes = Collections.emptySet();
    private long lastRenewalNanos;

    ShardOwnership(ShardLeases leases, String node, int shards, Duration leaseTime) {
        this.leases = leases;
        this.node = node;
        this.shards = shards;
        this.leaseTime = leaseTime;
    }

    /** One round; returns the shards newly taken (their cursors must be read again). */
    synchronized Set<Integer> refresh() {
        try {
            leases.heartbeat(node, leaseTime);
            Set<String> live = leases.liveNodes();
            ShardPlan plan = ShardPlan.of(shards, node, live, leases.owners());
            Set<Integer> now = new TreeSet<>();
            for (int shard : plan.renew) {
                if (leases.renew(shard, node, leaseTime)) {
                    now.add(shard);
                }
            }
            for (int shard : plan.release) {
                leases.release(shard, node);
            }
            Set<Integer> taken = new TreeSet<>();
            for (int shard : plan.acquire) {
                if (leases.acquire(shard, node, leaseTime)) {
                    now.add(shard);
                    taken.add(shard);
                }
            }
            if (!now.equals(owned)) {
                LOGGER.info("Dispatch node {} works shards {} of {} ({} nodes alive)", node, now, shards, live.size());
            }
            owned = Collections.unmodifiableSet(now);
            liveNodes = Collections.unmodifiableSet(live);
            lastRenewalNanos = System.nanoTime();
            return taken;
        } catch (RuntimeException e) {
            if (System.nanoTime() - lastRenewalNanos > leaseTime.toNanos() && !owned.isEmpty()) {
                LOGGER.warn("Dispatch node {} could not renew its shard leases for {} s; it stops polling them: {}",
                    node, leaseTime.getSeconds(), e.getMessage());
                owned = Collections.emptySet();
            }
            throw e;
        }
    }

    Set<Integer> owned() {
        return owned;
    }

    /** Nodes alive at the last round: a claim held by a node not among them is taken over at once. */
    Set<String> liveNodes() {
        return liveNodes;
    }

    /** Gives every lease back at a clean stop, so the other nodes take over at once. */
    synchronized void releaseAll() {
        for (int shard : owned) {
            try {
                leases.release(shard, node);
            } catch (RuntimeException e) {
                LOGGER.debug("Could not release shard {}: {}", shard, e.getMessage());
            }
        }
        owned = Collections.emptySet();
    }
}
