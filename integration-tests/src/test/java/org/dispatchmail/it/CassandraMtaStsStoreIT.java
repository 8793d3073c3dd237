package org.dispatchmail.it;

import java.time.Clock;
import java.time.Duration;

import org.dispatchmail.core.mtasts.CassandraMtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsStoreContract;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/**
 * MTA-STS policies in a real Cassandra, seen through two sessions as two nodes would: expiry by TTL, and a policy
 * one node fetched applied by another.
 */
@ExtendWith(CassandraExtension.class)
class CassandraMtaStsStoreIT extends MtaStsStoreContract {
    private static final String KEYSPACE = "mtasts_it";

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
    protected MtaStsStore node() {
        return new CassandraMtaStsStore(first, KEYSPACE);
    }

    @Override
    protected MtaStsStore otherNode() {
        return new CassandraMtaStsStore(second, KEYSPACE);
    }

    @Override
    protected Clock clock() {
        return Clock.systemUTC();
    }

    @Override
    protected void letPass(Duration keepFor) {
        // Cassandra's TTL runs in real time: the contract waits for the row to go
    }
}
