package org.dispatchmail.it;

import java.security.SecureRandom;
import java.time.Clock;

import org.dispatchmail.core.secrets.CassandraClusterSecrets;
import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.secrets.ClusterSecretsContract;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** Cluster secrets in a real Cassandra, seen through two sessions as two nodes would. */
@ExtendWith(CassandraExtension.class)
class ClusterSecretsIT extends ClusterSecretsContract {
    private static final String KEYSPACE = "secrets_it";

    private static CqlSession first;
    private static CqlSession second;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        TestKeyspace keyspace = TestKeyspace.of(cassandra, KEYSPACE);
        first = keyspace.connectWithSchema();
        second = keyspace.connect();
    }

    @AfterAll
    static void close() {
        first.close();
        second.close();
    }

    @Override
    protected ClusterSecrets node() {
        return new CassandraClusterSecrets(first, KEYSPACE, Clock.systemUTC(), new SecureRandom());
    }

    @Override
    protected ClusterSecrets otherNode() {
        return new CassandraClusterSecrets(second, KEYSPACE, Clock.systemUTC(), new SecureRandom());
    }
}
