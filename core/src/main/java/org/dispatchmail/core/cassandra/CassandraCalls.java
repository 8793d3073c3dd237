package org.dispatchmail.core.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.time.Duration;

/** What every Cassandra store does around a statement: one exception type naming the work, and TTLs in range. */
public final class CassandraCalls {

    private CassandraCalls() {
    }

    /**
     * Runs {@code statement}; a driver failure becomes a {@link CassandraUnavailableException} saying what could not
     * be done ({@code what}: "read the queue entry of ..."), which callers turn into a temporary failure.
     */
    public static ResultSet run(CqlSession session, Statement<?> statement, String what) {
        try {
            return session.execute(statement);
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + e.getMessage(), e);
        }
    }

    /** A TTL in whole seconds as CQL takes it: at least 1 (0 would mean never expire), at most Integer.MAX_VALUE. */
    public static int ttlSeconds(Duration keepFor) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, keepFor.getSeconds()));
    }
}
