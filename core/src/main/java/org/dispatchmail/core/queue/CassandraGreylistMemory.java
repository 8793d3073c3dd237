package org.dispatchmail.core.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

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
            + ".greylist_windows WHERE destination = :destination");
        insert = session.prepare("INSERT INTO " + keyspace + ".greylist_windows (destination, lower_ms, upper_ms,"
            + " observed_at) VALUES (:destination, :lower_ms, :upper_ms, :observed_at) USING TTL :ttl_seconds");
        selectProber = session.prepare("SELECT message_id, since FROM " + keyspace
            + ".greylist_probers WHERE destination = :destination");
        insertProber = session.prepare("INSERT INTO " + keyspace + ".greylist_probers (destination, message_id, since)"
            + " VALUES (:destination, :message_id, :since) IF NOT EXISTS USING TTL :ttl_seconds");
        deleteProber = session.prepare("DELETE FROM " + keyspace + ".greylist_probers WHERE destination = :destination"
            + " IF message_id = :message_id");
        insertWaiter = session.prepare("INSERT INTO " + keyspace + ".greylist_waiters (destination, message_id,"
            + " recipient) VALUES (:destination, :message_id, :recipient) USING TTL :ttl_seconds");
        selectWaiters = session.prepare("SELECT message_id, recipient FROM " + keyspace
            + ".greylist_waiters WHERE destination = :destination");
        deleteWaiters = session.prepare("DELETE FROM " + keyspace + ".greylist_waiters WHERE destination = :destination"
            + " AND message_id = :message_id");
    }

    @Override
    public Optional<LearnedWindow> window(String destination) {
        Row row = run(byDestination(select, destination), "read the greylisting window of " + destination).one();
        return row == null ? Optional.empty() : Optional.of(new LearnedWindow(Duration.ofMillis(row.getLong(0)),
            Duration.ofMillis(row.getLong(1)), row.getInstant(2)));
    }

    @Override
    public void remember(String destination, LearnedWindow window, Duration keepFor) {
        run(byDestination(insert, destination).setLong("lower_ms", window.lower().toMillis())
            .setLong("upper_ms", window.upper().toMillis()).setInstant("observed_at", window.observedAt())
            .setInt("ttl_seconds", ttl(keepFor)), "store the greylisting window of " + destination);
    }

    @Override
    public Optional<Prober> prober(String destination) {
        Row row = run(byDestination(selectProber, destination), "read the greylisting prober of " + destination).one();
        return row == null || row.isNull(0) ? Optional.empty()
            : Optional.of(new Prober(row.getUuid(0), row.getInstant(1)));
    }

    @Override
    public Prober becomeProber(String destination, Prober candidate, Duration keepFor) {
        ResultSet result = run(byDestination(insertProber, destination).setUuid("message_id", candidate.messageId())
                .setInstant("since", candidate.since()).setInt("ttl_seconds", ttl(keepFor)),
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
        run(byDestination(deleteProber, destination).setUuid("message_id", messageId),
            "remove the greylisting prober of " + destination);
    }

    @Override
    public void addWaiter(String destination, Waiter waiter, Duration keepFor) {
        run(byDestination(insertWaiter, destination).setUuid("message_id", waiter.messageId())
                .setString("recipient", waiter.recipient()).setInt("ttl_seconds", ttl(keepFor)),
            "register a recipient waiting for the greylisting prober of " + destination);
    }

    @Override
    public List<Waiter> waiters(String destination) {
        List<Waiter> waiters = new ArrayList<>();
        for (Row row : run(byDestination(selectWaiters, destination),
            "read the greylisting waiters of " + destination)) {
            waiters.add(new Waiter(row.getUuid(0), row.getString(1)));
        }
        return waiters;
    }

    @Override
    public void removeWaiters(String destination, UUID messageId) {
        run(byDestination(deleteWaiters, destination).setUuid("message_id", messageId),
            "remove greylisting waiters of " + destination);
    }

    private static BoundStatement byDestination(PreparedStatement statement, String destination) {
        return statement.bind().setString("destination", destination);
    }

    private static int ttl(Duration keepFor) {
        return CassandraCalls.ttlSeconds(keepFor);
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
