package org.dispatchmail.core.secrets;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

/**
 * ClusterSecrets in the {@code cluster_secrets} table (a partition per secret, newest version first). A new
 * version is inserted with IF NOT EXISTS, so two nodes creating or rotating at once agree on one value: the
 * loser reads the winner's. Reads are cached for the life of the process only as long as nothing rotates; a
 * rotation made on another node is seen on the next {@link #all} or {@link #current} call, which always reads.
 */
public final class CassandraClusterSecrets implements ClusterSecrets {
    private final CqlSession session;
    private final Clock clock;
    private final SecureRandom random;
    private final PreparedStatement selectAll;
    private final PreparedStatement insert;
    private final PreparedStatement delete;

    public CassandraClusterSecrets(CqlSession session, String keyspace, Clock clock, SecureRandom random) {
        this.session = session;
        this.clock = clock;
        this.random = random;
        String table = keyspace + ".cluster_secrets";
        selectAll = session.prepare("SELECT version, secret, created_at FROM " + table + " WHERE name = :name");
        insert = session.prepare("INSERT INTO " + table + " (name, version, secret, created_at)"
            + " VALUES (:name, :version, :secret, :created_at) IF NOT EXISTS");
        delete = session.prepare("DELETE FROM " + table + " WHERE name = :name AND version = :version");
    }

    @Override
    public Secret current(String name) {
        return all(name).get(0);
    }

    @Override
    public List<Secret> all(String name) {
        List<Secret> secrets = read(name);
        if (!secrets.isEmpty()) {
            return secrets;
        }
        create(name, 1);
        return read(name);
    }

    @Override
    public Secret rotate(String name) {
        List<Secret> secrets = all(name);
        int next = secrets.get(0).version() + 1;
        create(name, next);
        // Another node may have rotated at the same moment: its version is as good as ours.
        return read(name).get(0);
    }

    @Override
    public int retire(String name, int keepNewest) {
        if (keepNewest < 1) {
            throw new IllegalArgumentException("keep at least the current version");
        }
        List<Secret> secrets = read(name);
        int removed = 0;
        for (Secret old : secrets.subList(Math.min(keepNewest, secrets.size()), secrets.size())) {
            run(delete.bind().setString("name", name).setInt("version", old.version()), "remove an old secret");
            removed++;
        }
        return removed;
    }

    private void create(String name, int version) {
        byte[] key = new byte[Secret.LENGTH];
        random.nextBytes(key);
        // IF NOT EXISTS: when another node created this version first, its value stands and ours is dropped.
        run(insert.bind().setString("name", name).setInt("version", version).setByteBuffer("secret", ByteBuffer.wrap(key))
            .setInstant("created_at", clock.instant()), "create a cluster secret");
    }

    private List<Secret> read(String name) {
        List<Secret> secrets = new ArrayList<>();
        for (Row row : run(selectAll.bind().setString("name", name), "read a cluster secret")) {
            ByteBuffer buffer = row.getByteBuffer("secret");
            byte[] key = new byte[buffer.remaining()];
            buffer.get(key);
            secrets.add(new Secret(name, row.getInt("version"), key, row.getInstant("created_at")));
        }
        return secrets;
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
