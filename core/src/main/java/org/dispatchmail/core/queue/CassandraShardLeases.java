package org.dispatchmail.core.queue;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

/** Shard leases as lightweight transactions on rows with a TTL; heartbeats as rows with a TTL. */
public final class CassandraShardLeases implements ShardLeases {
    private final CqlSession session;
    private final Clock clock;
    private final PreparedStatement heartbeat;
    private final PreparedStatement selectNodes;
    private final PreparedStatement selectOwners;
    private final PreparedStatement acquire;
    private final PreparedStatement renew;
    private final PreparedStatement release;

    /** @param clock the time written as a heartbeat's {@code seen_at} */
    public CassandraShardLeases(CqlSession session, String keyspace, Clock clock) {
        this.session = session;
        this.clock = clock;
        String ks = keyspace + ".";
        heartbeat = session.prepare("INSERT INTO " + ks + "nodes (node, seen_at) VALUES (:node, :seen_at)"
            + " USING TTL :ttl_seconds");
        selectNodes = session.prepare("SELECT node FROM " + ks + "nodes");
        selectOwners = session.prepare("SELECT shard, owner FROM " + ks + "shard_leases");
        acquire = session.prepare("INSERT INTO " + ks + "shard_leases (shard, owner) VALUES (:shard, :owner)"
            + " IF NOT EXISTS USING TTL :ttl_seconds");
        renew = session.prepare("UPDATE " + ks + "shard_leases USING TTL :ttl_seconds SET owner = :owner"
            + " WHERE shard = :shard IF owner = :owner");
        release = session.prepare("DELETE FROM " + ks + "shard_leases WHERE shard = :shard IF owner = :owner");
    }

    @Override
    public void heartbeat(String node, Duration ttl) {
        run(heartbeat.bind().setString("node", node).setInstant("seen_at", clock.instant())
            .setInt("ttl_seconds", seconds(ttl)), "record the heartbeat of " + node);
    }

    @Override
    public Set<String> liveNodes() {
        Set<String> nodes = new HashSet<>();
        for (Row row : run(selectNodes.bind(), "list the live nodes")) {
            nodes.add(row.getString("node"));
        }
        return nodes;
    }

    @Override
    public Map<Integer, String> owners() {
        Map<Integer, String> owners = new HashMap<>();
        for (Row row : run(selectOwners.bind(), "read the shard leases")) {
            if (!row.isNull("owner")) {
                owners.put(row.getInt("shard"), row.getString("owner"));
            }
        }
        return owners;
    }

    @Override
    public boolean acquire(int shard, String node, Duration ttl) {
        return run(byShard(acquire, shard, node).setInt("ttl_seconds", seconds(ttl)),
            "lease shard " + shard).wasApplied();
    }

    @Override
    public boolean renew(int shard, String node, Duration ttl) {
        return run(byShard(renew, shard, node).setInt("ttl_seconds", seconds(ttl)),
            "renew the lease of shard " + shard).wasApplied();
    }

    @Override
    public void release(int shard, String node) {
        run(byShard(release, shard, node), "release shard " + shard);
    }

    /** A statement on one shard's lease, held (or to be held) by {@code node}. */
    private static BoundStatement byShard(PreparedStatement statement, int shard, String node) {
        return statement.bind().setInt("shard", shard).setString("owner", node);
    }

    private static int seconds(Duration ttl) {
        return (int) Math.max(1, ttl.getSeconds());
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
