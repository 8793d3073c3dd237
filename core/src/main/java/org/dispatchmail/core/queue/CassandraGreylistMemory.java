package org.dispatchmail.core.queue;

import java.time.Duration;
import java.util.Optional;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

/** Learned greylisting windows, a row per destination that expires when not observed again. */
public final class CassandraGreylistMemory implements GreylistMemory {
    private final CqlSession session;
    private final PreparedStatement select;
    private final PreparedStatement insert;

    public CassandraGreylistMemory(CqlSession session, String keyspace) {
        this.session = session;
        select = session.prepare("SELECT lower_ms, upper_ms, observed_at FROM " + keyspace
            + ".greylist_windows WHERE destination = ?");
        insert = session.prepare("INSERT INTO " + keyspace + ".greylist_windows (destination, lower_ms, upper_ms,"
            + " observed_at) VALUES (?, ?, ?, ?) USING TTL ?");
    }

    @Override
    public Optional<LearnedWindow> window(String destination) {
        try {
            Row row = session.execute(select.bind(destination)).one();
            return row == null ? Optional.empty() : Optional.of(new LearnedWindow(Duration.ofMillis(row.getLong(0)),
                Duration.ofMillis(row.getLong(1)), row.getInstant(2)));
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not read the greylisting window of "
                + destination + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void remember(String destination, LearnedWindow window, Duration keepFor) {
        try {
            session.execute(insert.bind(destination, window.lower().toMillis(), window.upper().toMillis(),
                window.observedAt(), (int) Math.max(1, keepFor.getSeconds())));
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not store the greylisting window of "
                + destination + ": " + e.getMessage(), e);
        }
    }
}
