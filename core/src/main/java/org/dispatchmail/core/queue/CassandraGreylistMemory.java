package org.dispatchmail.core.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * Learned greylisting windows, a row per destination that expires when not observed again; the
 * destination's prober (a row taken with a lightweight transaction) and its waiters, rows that expire.
 */
public final class CassandraGreylistMemory implements GreylistMemory {
    private final CqlSession session;
    private final PreparedStatement select;
    private final PreparedStatement insert;
    private final PreparedStatement selectProber;
    private final PreparedStatement insertProber;
    private final PreparedStatement deleteProber;
    private final PreparedStatement insertWaiter;
    private final PreparedStatement selectWaiters;
    private final PreparedStatement deleteWaiters;

    public CassandraGreylistMemory(CqlSession session, String keyspace) {
        this.session = session;
        select = session.prepare("SELECT lower_ms, upper_ms, observed_at FROM " + keyspace
            + ".greylist_windows WHERE destination = ?");
        insert = session.prepare("INSERT INTO " + keyspace + ".greylist_windows (destination, lower_ms, upper_ms,"
            + " observed_at) VALUES (?, ?, ?, ?) USING TTL ?");
        selectProber = session.prepare("SELECT message_id, since FROM " + keyspace
            + ".greylist_probers WHERE destination = ?");
        insertProber = session.prepare("INSERT INTO " + keyspace + ".greylist_probers (destination, message_id, since)"
            + " VALUES (?, ?, ?) IF NOT EXISTS USING TTL ?");
        deleteProber = session.prepare("DELETE FROM " + keyspace + ".greylist_probers WHERE destination = ?"
            + " IF message_id = ?");
        insertWaiter = session.prepare("INSERT INTO " + keyspace + ".greylist_waiters (destination, message_id,"
            + " recipient) VALUES (?, ?, ?) USING TTL ?");
        selectWaiters = session.prepare("SELECT message_id, recipient FROM " + keyspace
            + ".greylist_waiters WHERE destination = ?");
        deleteWaiters = session.prepare("DELETE FROM " + keyspace + ".greylist_waiters WHERE destination = ?"
            + " AND message_id = ?");
    }

    @Override
    public Optional<LearnedWindow> window(String destination) {
        Row row = run(select.bind(destination), "read the greylisting window of " + destination).one();
        return row == null ? Optional.empty() : Optional.of(new LearnedWindow(Duration.ofMillis(row.getLong(0)),
            Duration.ofMillis(row.getLong(1)), row.getInstant(2)));
    }

    @Override
    public void remember(String destination, LearnedWindow window, Duration keepFor) {
        run(insert.bind(destination, window.lower().toMillis(), window.upper().toMillis(), window.observedAt(),
            ttl(keepFor)), "store the greylisting window of " + destination);
    }

    @Override
    public Optional<Prober> prober(String destination) {
        Row row = run(selectProber.bind(destination), "read the greylisting prober of " + destination).one();
        return row == null || row.isNull(0) ? Optional.empty()
            : Optional.of(new Prober(row.getUuid(0), row.getInstant(1)));
    }

    @Override
    public Prober becomeProber(String destination, Prober candidate, Duration keepFor) {
        ResultSet result = run(insertProber.bind(destination, candidate.messageId(), candidate.since(), ttl(keepFor)),
            "take the greylisting prober role of " + destination);
        if (result.wasApplied()) {
            return candidate;
        }
        // Not applied: the row returned is the one in place.
        Row row = result.one();
        if (row == null || row.isNull("message_id")) {
            return prober(destination).orElse(candidate);
        }
        return new Prober(row.getUuid("message_id"), row.getInstant("since"));
    }

    @Override
    public void removeProber(String destination, UUID messageId) {
        run(deleteProber.bind(destination, messageId), "remove the greylisting prober of " + destination);
    }

    @Override
    public void addWaiter(String destination, Waiter waiter, Duration keepFor) {
        run(insertWaiter.bind(destination, waiter.messageId(), waiter.recipient(), ttl(keepFor)),
            "register a recipient waiting for the greylisting prober of " + destination);
    }

    @Override
    public List<Waiter> waiters(String destination) {
        List<Waiter> waiters = new ArrayList<>();
        for (Row row : run(selectWaiters.bind(destination), "read the greylisting waiters of " + destination)) {
            waiters.add(new Waiter(row.getUuid(0), row.getString(1)));
        }
        return waiters;
    }

    @Override
    public void removeWaiters(String destination, UUID messageId) {
        run(deleteWaiters.bind(destination, messageId), "remove greylisting waiters of " + destination);
    }

    private static int ttl(Duration keepFor) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, keepFor.getSeconds()));
    }

    private ResultSet run(Statement<?> statement, String what) {
        try {
            return session.execute(statement);
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + e.getMessage(), e);
        }
    }
}
