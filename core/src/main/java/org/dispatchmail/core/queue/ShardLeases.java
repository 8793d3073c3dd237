package org.dispatchmail.core.queue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * Which node works which shard of the due index. Leases are compare-and-set rows that expire unless
 * renewed, so the shards of a node that stops or dies return to the others within one lease time.
 */
public interface ShardLeases {

    /** Says this node is alive for the next {@code ttl}. */
    void heartbeat(String node, Duration ttl);

    /** The nodes whose heartbeat has not run out. */
    Set<String> liveNodes();

    /** Current owner of every leased shard. */
    Map<Integer, String> owners();

    /** Takes a shard nobody holds; false when another node holds it. */
    boolean acquire(int shard, String node, Duration ttl);

    /** Extends this node's lease; false when it was lost (it ran out and another node took it). */
    boolean renew(int shard, String node, Duration ttl);

    /** Gives a shard back, if this node still holds it. */
    void release(int shard, String node);
}
