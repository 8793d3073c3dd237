package org.dispatchmail.core.mtasts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

/**
 * MTA-STS policies in the {@code mta_sts_policies} table, a row per policy domain. A save rewrites the whole row
 * with a TTL (the policy's max_age plus a grace), so an expired policy disappears by itself; a failed refresh
 * updates only its own columns, with a TTL of their own, and never touches the policy.
 */
public final class CassandraMtaStsStore implements MtaStsStore {
    private final CqlSession session;
    private final PreparedStatement select;
    private final PreparedStatement insert;
    private final PreparedStatement updateFailure;

    public CassandraMtaStsStore(CqlSession session, String keyspace) {
        this.session = session;
        select = session.prepare("SELECT policy_id, mode, mx, max_age_s, fetched_at, failed_id, checked_at, last_error"
            + " FROM " + keyspace + ".mta_sts_policies WHERE domain = :domain");
        insert = session.prepare("INSERT INTO " + keyspace + ".mta_sts_policies (domain, policy_id, mode, mx,"
            + " max_age_s, fetched_at, expires_at, failed_id, checked_at, last_error) VALUES (:domain, :policy_id,"
            + " :mode, :mx, :max_age_s, :fetched_at, :expires_at, null, null, null) USING TTL :ttl_seconds");
        updateFailure = session.prepare("UPDATE " + keyspace + ".mta_sts_policies USING TTL :ttl_seconds"
            + " SET failed_id = :failed_id, checked_at = :checked_at, last_error = :last_error WHERE domain = :domain");
    }

    @Override
    public Optional<Entry> read(String domain) {
        Row row = run(select.bind().setString("domain", domain), "read the MTA-STS policy of " + domain).one();
        if (row == null) {
            return Optional.empty();
        }
        Optional<StoredPolicy> policy = Optional.empty();
        if (!row.isNull("policy_id")) {
            policy = Optional.of(new StoredPolicy(row.getString("policy_id"), policyOf(row),
                row.getInstant("fetched_at")));
        }
        Optional<RefreshFailure> failure = Optional.empty();
        if (!row.isNull("checked_at")) {
            failure = Optional.of(new RefreshFailure(row.getString("failed_id"), row.getInstant("checked_at"),
                row.getString("last_error")));
        }
        if (policy.isEmpty() && failure.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Entry(policy, failure));
    }

    /** The policy as stored; a row this code cannot read back is a bug, not a missing policy. */
    private static MtaStsPolicy policyOf(Row row) {
        String word = row.getString("mode");
        MtaStsPolicy.Mode mode = MtaStsPolicy.Mode.of(word)
            .orElseThrow(() -> new IllegalStateException("stored MTA-STS mode '" + word + "' is unknown"));
        List<MxPattern> mx = new ArrayList<>();
        for (String pattern : row.getList("mx", String.class)) {
            mx.add(MxPattern.parse(pattern)
                .orElseThrow(() -> new IllegalStateException("stored MTA-STS mx '" + pattern + "' is invalid")));
        }
        return new MtaStsPolicy(mode, mx, Duration.ofSeconds(row.getLong("max_age_s")));
    }

    @Override
    public void save(String domain, StoredPolicy policy, Duration keepFor) {
        List<String> mx = new ArrayList<>();
        policy.policy().mx().forEach(pattern -> mx.add(pattern.toString()));
        run(insert.bind().setString("domain", domain).setString("policy_id", policy.id())
                .setString("mode", policy.policy().mode().word()).setList("mx", mx, String.class)
                .setLong("max_age_s", policy.policy().maxAge().getSeconds())
                .setInstant("fetched_at", policy.fetchedAt()).setInstant("expires_at", policy.expiresAt())
                .setInt("ttl_seconds", ttl(keepFor)),
            "store the MTA-STS policy of " + domain);
    }

    @Override
    public void recordFailure(String domain, RefreshFailure failure, Duration keepFor) {
        run(updateFailure.bind().setString("domain", domain).setString("failed_id", failure.id())
                .setInstant("checked_at", failure.at()).setString("last_error", failure.error())
                .setInt("ttl_seconds", ttl(keepFor)),
            "record a failed MTA-STS refresh of " + domain);
    }

    private static int ttl(Duration keepFor) {
        return CassandraCalls.ttlSeconds(keepFor);
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
