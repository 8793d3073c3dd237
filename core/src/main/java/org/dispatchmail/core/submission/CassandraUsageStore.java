package org.dispatchmail.core.submission;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;

/** Usage rows in hourly partitions (login, hour) that expire by themselves after two hours. */
public final class CassandraUsageStore implements UsageStore {
    private static final long HOUR_MILLIS = 3_600_000L;

    private final CqlSession session;
    private final PreparedStatement insert;
    private final PreparedStatement select;

    public CassandraUsageStore(CqlSession session, String keyspace) {
        this.session = session;
        insert = session.prepare("INSERT INTO " + keyspace + ".submission_usage (login, hour, at, id, recipients)"
            + " VALUES (:login, :hour, :at, :id, :recipients)");
        select = session.prepare("SELECT recipients FROM " + keyspace + ".submission_usage"
            + " WHERE login = :login AND hour = :hour AND at >= :since AND at <= :until");
    }

    @Override
    public void record(String login, Instant at, int recipients) {
        try {
            session.execute(insert.bind().setString("login", login).setLong("hour", hour(at)).setInstant("at", at)
                .setUuid("id", UUID.randomUUID()).setInt("recipients", recipients));
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not record the usage of " + login + ": "
                + e.getMessage(), e);
        }
    }

    @Override
    public List<Integer> between(String login, Instant from, Instant to) {
        List<Integer> counts = new ArrayList<>();
        try {
            for (long hour = hour(from); hour <= hour(to); hour++) {
                for (Row row : session.execute(select.bind().setString("login", login).setLong("hour", hour)
                    .setInstant("since", from).setInstant("until", to))) {
                    counts.add(row.getInt("recipients"));
                }
            }
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not read the usage of " + login + ": "
                + e.getMessage(), e);
        }
        return counts;
    }

    private static long hour(Instant t) {
        return Math.floorDiv(t.toEpochMilli(), HOUR_MILLIS);
    }
}
