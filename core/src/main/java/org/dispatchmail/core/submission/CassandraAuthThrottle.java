package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.uuid.Uuids;

/**
 * AuthThrottle in Cassandra (schema version 3), so that spreading guesses over the nodes gains nothing. A failure is
 * a row in the address's partition that expires after the window (TTL), so nothing grows without bound; reaching
 * maxFailures within the window writes a block row that expires after blockFor. Times come from the clock given, the
 * TTLs are the same lengths of real time.
 */
public final class CassandraAuthThrottle implements AuthThrottle {
    private final CqlSession session;
    private final ThrottleSettings settings;
    private final Clock clock;
    private final PreparedStatement insertFailure;
    private final PreparedStatement recentFailures;
    private final PreparedStatement clearFailures;
    private final PreparedStatement insertBlock;
    private final PreparedStatement selectBlock;

    /** Blocked for one window once maxFailures failures fall within a window. */
    public CassandraAuthThrottle(CqlSession session, String keyspace, int maxFailures, Duration window, Clock clock) {
        this(session, keyspace, maxFailures, window, window, clock);
    }

    public CassandraAuthThrottle(CqlSession session, String keyspace, int maxFailures, Duration window,
                                 Duration blockFor, Clock clock) {
        this.session = session;
        this.settings = new ThrottleSettings(maxFailures, window, blockFor);
        this.clock = clock;
        String ks = keyspace + ".";
        insertFailure = session.prepare("INSERT INTO " + ks + "auth_failures (client, failed_at, id) VALUES (?, ?, ?)"
            + " USING TTL ?");
        // LIMIT: reading stops at the threshold, however many failures a busy attacker left.
        recentFailures = session.prepare("SELECT failed_at FROM " + ks + "auth_failures WHERE client = ?"
            + " AND failed_at > ? LIMIT ?");
        clearFailures = session.prepare("DELETE FROM " + ks + "auth_failures WHERE client = ?");
        insertBlock = session.prepare("INSERT INTO " + ks + "auth_blocks (client, blocked_until) VALUES (?, ?)"
            + " USING TTL ?");
        selectBlock = session.prepare("SELECT blocked_until FROM " + ks + "auth_blocks WHERE client = ?");
    }

    @Override
    public boolean blocked(String clientAddress) {
        Row row = run(selectBlock.bind(ThrottleSettings.key(clientAddress)), "read the AUTH block of a client").one();
        Instant until = row == null ? null : row.getInstant("blocked_until");
        return until != null && until.isAfter(clock.instant());
    }

    @Override
    public void recordFailure(String clientAddress) {
        String client = ThrottleSettings.key(clientAddress);
        Instant now = clock.instant();
        run(insertFailure.bind(client, now, Uuids.random(), ThrottleSettings.ttlSeconds(settings.window)),
            "record a failed AUTH");
        int recent = run(recentFailures.bind(client, now.minus(settings.window), settings.maxFailures),
            "count failed AUTHs").all().size();
        if (recent >= settings.maxFailures) {
            run(insertBlock.bind(client, now.plus(settings.blockFor), ThrottleSettings.ttlSeconds(settings.blockFor)),
                "block a client after failed AUTHs");
        }
    }

    @Override
    public void recordSuccess(String clientAddress) {
        run(clearFailures.bind(ThrottleSettings.key(clientAddress)), "clear failed AUTHs");
    }

    private ResultSet run(Statement<?> statement, String what) {
        try {
            return session.execute(statement);
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + e.getMessage(), e);
        }
    }
}
