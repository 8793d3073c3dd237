package org.dispatchmail.core.cassandra;

import java.time.Duration;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;

/**
 * Creates or migrates Dispatch's keyspace at start-up. Each migration is a list of idempotent
 * statements (IF NOT EXISTS), so nodes starting together, or a start that died half-way, are safe.
 */
public final class QueueSchema {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueSchema.class);

    /** Index = version - 1. Append new versions; never edit a released one. */
    private static final List<List<String>> MIGRATIONS = List.of(
        List.of(
        // The message body, once, in chunks so a large message never makes a large cell.
        "CREATE TABLE IF NOT EXISTS message_chunks (message_id uuid, chunk int, data blob,"
            + " PRIMARY KEY ((message_id), chunk))",
        "CREATE TABLE IF NOT EXISTS messages (message_id uuid PRIMARY KEY, mail_name text, sender text,"
            + " size bigint, chunk_count int, recipient_count int, created_at timestamp, shard int)",
        // One row of state per recipient; claims are compare-and-set on (state, claimed_by).
        "CREATE TABLE IF NOT EXISTS recipients (message_id uuid, recipient text, state text, attempts int,"
            + " next_attempt_at timestamp, claimed_by text, claim_until timestamp, last_result text,"
            + " updated_at timestamp, PRIMARY KEY ((message_id), recipient))",
        "CREATE TABLE IF NOT EXISTS attempts (message_id uuid, recipient text, attempted_at timestamp,"
            + " node text, host text, address text, stage text, reply_code int, enhanced_code text,"
            + " reply_text text, decision text, next_attempt_at timestamp,"
            + " PRIMARY KEY ((message_id, recipient), attempted_at))",
        // Due work: a partition per (shard, time bucket), read from a moving start (due_cursors), so
        // the tombstones of finished work are never read again.
        "CREATE TABLE IF NOT EXISTS due (shard int, bucket bigint, due_at timestamp, message_id uuid,"
            + " recipient text, PRIMARY KEY ((shard, bucket), due_at, message_id, recipient))",
        "CREATE TABLE IF NOT EXISTS due_cursors (shard int PRIMARY KEY, bucket bigint)",
        "CREATE TABLE IF NOT EXISTS schema_version (component text PRIMARY KEY, version int, applied_at timestamp)"),
        List.of(
            // DKIM keys, a partition per domain; the private key is AES-GCM ciphertext (dkim.masterKeyFile).
            "CREATE TABLE IF NOT EXISTS dkim_keys (domain text, selector text, algorithm text, state text,"
                + " created_at timestamp, activated_at timestamp, retired_at timestamp, delete_after timestamp,"
                + " txt_value text, private_key blob, PRIMARY KEY ((domain), selector))",
            "CREATE TABLE IF NOT EXISTS dkim_domains (bucket int, domain text, PRIMARY KEY ((bucket), domain))"),
        List.of(
            // Submission users (SMTP AUTH), a partition per login; password hashes only, never a password.
            "CREATE TABLE IF NOT EXISTS submission_users (login text PRIMARY KEY, allowed_senders list<text>,"
                + " created_at timestamp, password_changed_at timestamp, pbkdf2_salt blob, pbkdf2_iterations int,"
                + " pbkdf2_hash blob, cram_md5_context blob, scram_salt blob, scram_iterations int,"
                + " scram_stored_key blob, scram_server_key blob)",
            "CREATE TABLE IF NOT EXISTS submission_logins (bucket int, login text, PRIMARY KEY ((bucket), login))",
            // Failed AUTHs per client address, each row expiring after the window (TTL); newest first so the
            // count reads recent rows only.
            "CREATE TABLE IF NOT EXISTS auth_failures (client text, failed_at timestamp, id uuid,"
                + " PRIMARY KEY ((client), failed_at, id)) WITH CLUSTERING ORDER BY (failed_at DESC, id ASC)",
            "CREATE TABLE IF NOT EXISTS auth_blocks (client text PRIMARY KEY, blocked_until timestamp)"),
        List.of(
            // One row per message submitted by a login, in hourly partitions that expire by themselves.
            "CREATE TABLE IF NOT EXISTS submission_usage (login text, hour bigint, at timestamp, id uuid, recipients int,"
                + " PRIMARY KEY ((login, hour), at, id)) WITH default_time_to_live = 7200"),
        List.of(
            // DSN parameters (RFC 3461), greylisting memory per recipient, TLS facts per attempt.
            "ALTER TABLE messages ADD (ret text, envid text)",
            "ALTER TABLE recipients ADD (notify text, orcpt text, greylist_attempts int, first_greylisted_at timestamp,"
                + " last_greylisted_at timestamp, delay_warnings int)",
            "ALTER TABLE attempts ADD (tls text)",
            // Unfinished messages per shard and day, for the admin's lists and the queue gauges. A deleted
            // row that comes back after a short gc_grace is harmless: the recipients rows are the truth.
            "CREATE TABLE IF NOT EXISTS active_messages (shard int, day bigint, message_id uuid, created_at timestamp,"
                + " PRIMARY KEY ((shard, day), message_id)) WITH gc_grace_seconds = 3600",
            "ALTER TABLE due WITH gc_grace_seconds = 3600",
            // Shard leases (LWT) and the nodes alive (heartbeat rows that expire).
            "CREATE TABLE IF NOT EXISTS shard_leases (shard int PRIMARY KEY, owner text) WITH gc_grace_seconds = 3600",
            "CREATE TABLE IF NOT EXISTS nodes (node text PRIMARY KEY, seen_at timestamp) WITH gc_grace_seconds = 3600",
            // Greylisting windows learned per destination domain, shared by every node.
            "CREATE TABLE IF NOT EXISTS greylist_windows (destination text PRIMARY KEY, lower_ms bigint,"
                + " upper_ms bigint, observed_at timestamp)"),
        List.of(
            // The message probing a destination's greylisting (taken with LWT), and the recipients waiting for
            // what it learns; rows expire by themselves (TTL) so a prober that vanished frees the role.
            "CREATE TABLE IF NOT EXISTS greylist_probers (destination text PRIMARY KEY, message_id uuid,"
                + " since timestamp) WITH gc_grace_seconds = 3600",
            "CREATE TABLE IF NOT EXISTS greylist_waiters (destination text, message_id uuid, recipient text,"
                + " PRIMARY KEY ((destination), message_id, recipient)) WITH gc_grace_seconds = 3600"),
        List.of(
            // Random secrets every node shares (SRS key, SCRAM decoy seed...), numbered versions, newest first.
            "CREATE TABLE IF NOT EXISTS cluster_secrets (name text, version int, secret blob, created_at timestamp,"
                + " PRIMARY KEY ((name), version)) WITH CLUSTERING ORDER BY (version DESC)"),
        List.of(
            // AUTH guesses per client address and per login, reserved before the password is checked and expiring
            // after the failure window (TTL); a success deletes its own row. Replaces auth_failures and
            // auth_blocks, which are no longer read. Newest first so a count reads recent rows only.
            "CREATE TABLE IF NOT EXISTS auth_attempts (subject text, at timestamp, id uuid,"
                + " PRIMARY KEY ((subject), at, id)) WITH CLUSTERING ORDER BY (at DESC, id ASC)"
                + " AND gc_grace_seconds = 3600"),
        List.of(
            // A claim's own token (outcomes and renewals are written under it, not just under the node's name),
            // and the delivery report a recipient's state still owes its sender (sent after the state is written).
            "ALTER TABLE recipients ADD (claim_token uuid, report_owed text)"),
        List.of(
            // The intake journal: mail accepted by a listener and not yet out of the mail processing, in
            // partitions per writer (node id) and slot (of the mail name), so the tombstones of cleared entries
            // are spread over many partitions; its content in chunks; who is re-injecting a dead writer's mail.
            "CREATE TABLE IF NOT EXISTS intake (writer text, slot int, mail_name text, received_at timestamp,"
                + " envelope blob, size int, chunk_count int, PRIMARY KEY ((writer, slot), mail_name))"
                + " WITH gc_grace_seconds = 3600",
            "CREATE TABLE IF NOT EXISTS intake_chunks (mail_name text, chunk int, data blob,"
                + " PRIMARY KEY ((mail_name), chunk)) WITH gc_grace_seconds = 3600",
            "CREATE TABLE IF NOT EXISTS intake_claims (writer text PRIMARY KEY, claimant text)"
                + " WITH gc_grace_seconds = 3600",
            // The writers, each registered by itself: listing them never reads the journal's tombstones.
            "CREATE TABLE IF NOT EXISTS intake_writers (writer text PRIMARY KEY, seen_at timestamp)"
                + " WITH gc_grace_seconds = 3600"),
        List.of(
            // MTA-STS policies (RFC 8461) per policy domain, shared by every node and kept across restarts: the
            // policy last fetched, under which TXT id, and when it expires (fetched_at + max_age); and the last
            // failed refresh (failed_id, checked_at, last_error), which never replaces the policy. Rows are written
            // USING TTL max_age plus a grace, so an expired policy disappears by itself.
            "CREATE TABLE IF NOT EXISTS mta_sts_policies (domain text PRIMARY KEY, policy_id text, mode text,"
                + " mx list<text>, max_age_s bigint, fetched_at timestamp, expires_at timestamp, failed_id text,"
                + " checked_at timestamp, last_error text) WITH gc_grace_seconds = 3600"));

    private static final Duration SCHEMA_TIMEOUT = Duration.ofSeconds(60);

    private QueueSchema() {
    }

    public static int latestVersion() {
        return MIGRATIONS.size();
    }

    /**
     * Creates the keyspace if needed and applies the migrations this node knows and the cluster lacks.
     *
     * @param clock the time written as a migration's {@code applied_at}
     */
    public static void apply(CqlSession session, String keyspace, String replicationCql, Clock clock) {
        session.execute(ddl("CREATE KEYSPACE IF NOT EXISTS " + keyspace
            + " WITH replication = " + replicationCql));
        awaitAgreement(session);
        session.execute(ddl("CREATE TABLE IF NOT EXISTS " + keyspace
            + ".schema_version (component text PRIMARY KEY, version int, applied_at timestamp)"));
        awaitAgreement(session);
        int current = untilKnown(() -> currentVersion(session, keyspace));
        if (current > MIGRATIONS.size()) {
            throw new IllegalStateException("Keyspace " + keyspace + " is at schema version " + current
                + ", newer than this Dispatch (" + MIGRATIONS.size() + "): upgrade this node");
        }
        for (int version = current + 1; version <= MIGRATIONS.size(); version++) {
            for (String statement : MIGRATIONS.get(version - 1)) {
                untilKnown(() -> {
                    execute(session, qualified(statement, keyspace));
                    return null;
                });
            }
            awaitAgreement(session);
            session.execute(ddl("INSERT INTO " + keyspace + ".schema_version (component, version, applied_at)"
                + " VALUES ('queue', :version, :applied_at)",
                Map.<String, Object>of("version", version, "applied_at", clock.instant())));
            LOGGER.info("Dispatch schema of keyspace {} migrated to version {}", keyspace, version);
        }
        if (!session.checkSchemaAgreement()) {
            LOGGER.warn("Cassandra nodes do not agree on the schema yet; they will converge");
        }
    }

    /**
     * A schema statement, with a timeout of its own: creating a table waits for every node to agree, which can take
     * far longer than cassandra.requestTimeout on a busy cluster, and a start-up should not fail for that.
     */
    private static SimpleStatement ddl(String query) {
        return SimpleStatement.newInstance(query).setTimeout(SCHEMA_TIMEOUT);
    }

    private static SimpleStatement ddl(String query, Map<String, Object> values) {
        return SimpleStatement.newInstance(query, values).setTimeout(SCHEMA_TIMEOUT);
    }

    /**
     * Waits (at most SCHEMA_TIMEOUT) until every node has the schema just changed: a node that has not yet
     * heard of a new table answers "does not exist" to the statements that use it. The driver's own wait after
     * each change gives up after 10 s, which a busy cluster can exceed.
     */
    private static void awaitAgreement(CqlSession session) {
        long deadline = System.nanoTime() + SCHEMA_TIMEOUT.toNanos();
        while (!session.checkSchemaAgreement()) {
            if (System.nanoTime() > deadline) {
                LOGGER.warn("Cassandra nodes did not agree on the schema within {} s; going on", SCHEMA_TIMEOUT.toSeconds());
                return;
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the schema to settle", e);
            }
        }
    }

    /**
     * Runs a step again (every 500 ms, at most SCHEMA_TIMEOUT) while Cassandra answers that a keyspace or table
     * does not exist: on a ring that has just formed, a node can answer before the schema reached it even when
     * the driver saw every node it knows agree.
     */
    private static <T> T untilKnown(Supplier<T> step) {
        long deadline = System.nanoTime() + SCHEMA_TIMEOUT.toNanos();
        while (true) {
            try {
                return step.get();
            } catch (InvalidQueryException e) {
                if (!String.valueOf(e.getMessage()).contains("does not exist") || System.nanoTime() > deadline) {
                    throw e;
                }
                LOGGER.info("Cassandra does not know the schema everywhere yet ({}); trying again", e.getMessage());
                try {
                    Thread.sleep(500);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static String qualified(String statement, String keyspace) {
        for (String prefix : List.of("CREATE TABLE IF NOT EXISTS ", "ALTER TABLE ")) {
            if (statement.startsWith(prefix)) {
                return prefix + keyspace + "." + statement.substring(prefix.length());
            }
        }
        throw new IllegalStateException("unqualified schema statement: " + statement);
    }

    /** Runs one statement; a column added by an earlier, interrupted run of the same migration is no error. */
    private static void execute(CqlSession session, String statement) {
        try {
            session.execute(ddl(statement));
        } catch (InvalidQueryException e) {
            String message = String.valueOf(e.getMessage());
            if (!(statement.startsWith("ALTER TABLE ") && (message.contains("conflicts with an existing column") || message.contains("already exist")))) {
                throw e;
            }
        }
    }

    private static int currentVersion(CqlSession session, String keyspace) {
        Row row = session.execute(ddl("SELECT version FROM " + keyspace
            + ".schema_version WHERE component = 'queue'")).one();
        return row == null ? 0 : row.getInt("version");
    }
}
