package org.dispatchmail.it.support;

import java.time.Clock;
import java.util.Map;

import org.dispatchmail.core.cassandra.CassandraConnector;
import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.config.CassandraSettings;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.tracker.RequestTracker;

/**
 * A test class's own keyspace in the shared Cassandra, with the settings a node's dispatch.properties would give
 * for it (the shipped defaults: replication, consistency, timeouts), so a test talks to it as a node does.
 */
public final class TestKeyspace {
    private final CassandraSettings settings;

    private TestKeyspace(CassandraSettings settings) {
        this.settings = settings;
    }

    public static TestKeyspace of(EmbeddedCassandra cassandra, String keyspace) {
        return new TestKeyspace(CassandraSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", keyspace))));
    }

    public String name() {
        return settings.keyspace();
    }

    /** A new session, as a node opens it; the keyspace may not exist yet. */
    public CqlSession connect() {
        return CassandraConnector.connect(settings, Clock.systemUTC());
    }

    /** A new session, as a node opens it, that tells {@code requests} of every request it sends. */
    public CqlSession connect(RequestTracker requests) {
        return CassandraConnector.connect(settings, Clock.systemUTC(), requests);
    }

    /** A new session, with the keyspace created or migrated to Dispatch's latest schema first. */
    public CqlSession connectWithSchema() {
        CqlSession session = connect();
        applySchema(session);
        return session;
    }

    /** Creates or migrates the keyspace as a starting node does. */
    public void applySchema(CqlSession session) {
        QueueSchema.apply(session, settings.keyspace(), settings.replicationCql(), Clock.systemUTC());
    }
}
