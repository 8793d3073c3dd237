package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

/**
 * AuthThrottle in Cassandra ({@code auth_attempts}, a partition per address or login), so that spreading guesses
 * over nodes or parallel sessions gains nothing. A reservation is a row written before the credentials are checked,
 * expiring after the window (TTL); the count is read after the write, at the session's consistency (LOCAL_QUORUM by
 * default), so of N sessions reserving at once each sees the rows of all that wrote before it read: together they
 * never get more guesses than the limit. A count over the limit withdraws the row just written. A success deletes
 * its own row only.
 *
 * <p>Why rows and not LWT or counters: a lightweight transaction costs four round trips and serialises every
 * attempt on a busy key; counters cannot expire (no TTL) and a retried increment may count twice. This costs, per
 * attempt, one read per key (refused attempts stop there and write nothing), then a write and a read per key, and on
 * success one delete per key. Reads stop at the limit (LIMIT), however many rows an attacker left.
 */
public final class CassandraAuthThrottle implements AuthThrottle {
    private final CqlSession session;
    private final ThrottleSettings settings;
    private final Clock clock;
    private final PreparedStatement insert;
    private final PreparedStatement recent;
    private final PreparedStatement delete;

    public CassandraAuthThrottle(CqlSession session, String keyspace, ThrottleSettings settings, Clock clock) {
        this.session = session;
        this.settings = settings;
        this.clock = clock;
        String table = keyspace + ".auth_attempts";
        insert = session.prepare("INSERT INTO " + table + " (subject, at, id) VALUES (:subject, :at, :id)"
            + " USING TTL :ttl_seconds");
        recent = session.prepare("SELECT at FROM " + table + " WHERE subject = :subject AND at > :since"
            + " LIMIT :max_rows");
        delete = session.prepare("DELETE FROM " + table + " WHERE subject = :subject AND at = :at AND id = :id");
    }

    @Override
    public AuthAttempt reserve(String clientAddress, Optional<String> login) {
        Instant now = clock.instant();
        List<ThrottleKey> keys = AuthAttempt.keysOf(clientAddress, login);
        // First a read only: a refused client costs no write and leaves no tombstone.
        for (ThrottleKey key : keys) {
            if (count(key, now, settings.max(key)) >= settings.max(key)) {
                return AuthAttempt.refused(verdictFor(key));
            }
        }
        AuthAttempt attempt = new AuthAttempt(AuthAttempt.Verdict.ALLOWED, keys, now, UUID.randomUUID());
        for (ThrottleKey key : keys) {
            run(bindAttempt(insert, key, now, attempt.id())
                    .setInt("ttl_seconds", ThrottleSettings.ttlSeconds(settings.window)),
                "reserve an AUTH attempt");
        }
        for (ThrottleKey key : keys) {
            if (count(key, now, settings.max(key) + 1) > settings.max(key)) {
                // parallel attempts took the last guesses: this one is not made, so it must not count either
                withdraw(attempt);
                return AuthAttempt.refused(verdictFor(key));
            }
        }
        return attempt;
    }

    @Override
    public void succeeded(AuthAttempt attempt) {
        withdraw(attempt);
    }

    private void withdraw(AuthAttempt attempt) {
        for (ThrottleKey key : attempt.keys()) {
            run(bindAttempt(delete, key, attempt.at(), attempt.id()), "withdraw an AUTH attempt");
        }
    }

    private int count(ThrottleKey key, Instant now, int limit) {
        return run(recent.bind().setString("subject", key.value()).setInstant("since", now.minus(settings.window))
            .setInt("max_rows", limit), "count failed AUTHs").all().size();
    }

    /** A statement on the row of one attempt against one key. */
    private static BoundStatement bindAttempt(PreparedStatement statement, ThrottleKey key, Instant at, UUID id) {
        return statement.bind().setString("subject", key.value()).setInstant("at", at).setUuid("id", id);
    }

    private static AuthAttempt.Verdict verdictFor(ThrottleKey key) {
        return key.isAddress() ? AuthAttempt.Verdict.ADDRESS_THROTTLED : AuthAttempt.Verdict.LOGIN_THROTTLED;
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
