package org.dispatchmail.it.support;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

import org.dispatchmail.core.admin.QueueAdmin;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.worker.DeliveryReports;
import org.dispatchmail.core.worker.QueueMetrics;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * What the queue recorded, read from the node's Cassandra: recipients and their attempts as the queue admin shows
 * them ({@link #recipients}, {@link #attempts(RecipientRecord)}), and, for what the admin does not show, rows of
 * Dispatch's tables. Open it once a node has created the keyspace.
 */
public final class QueueState implements AutoCloseable {
    private final CqlSession session;
    private final String keyspace;
    private QueueAdmin admin;

    public QueueState(EmbeddedCassandra cassandra, String keyspace) {
        this.session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(cassandra.address(), cassandra.nativePort()))
            .withLocalDatacenter(cassandra.localDatacenter())
            .build();
        this.keyspace = keyspace;
    }

    /** Every recipient record of this address, whatever the message, as the queue admin shows it. */
    public List<RecipientRecord> recipients(String recipient) {
        List<RecipientRecord> records = new ArrayList<>();
        for (UUID messageId : messagesTo(recipient)) {
            for (RecipientRecord record : admin().recipients(messageId)) {
                if (record.recipient().equals(recipient)) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    /** The attempt history of one recipient, as the queue admin shows it. */
    public List<AttemptHistoryEntry> attempts(RecipientRecord record) {
        return admin().attempts(record.messageId(), record.recipient());
    }

    /** The messages with a recipient of this address: only the key columns, to find them. */
    private Set<UUID> messagesTo(String recipient) {
        Set<UUID> ids = new LinkedHashSet<>();
        for (Row row : session.execute("SELECT message_id, recipient FROM " + keyspace + ".recipients")) {
            if (recipient.equals(row.getString("recipient"))) {
                ids.add(row.getUuid("message_id"));
            }
        }
        return ids;
    }

    /**
     * An admin over the node's queue, for reading: the shard count, bucket size and retention given here matter
     * only to writes and listings, which these tests make through the node.
     */
    private QueueAdmin admin() {
        if (admin == null) {
            Clock clock = Clock.systemUTC();
            CassandraQueueStore store = new CassandraQueueStore(session, keyspace, 1, Duration.ofMinutes(1),
                Duration.ofDays(1), clock);
            DeliveryReports noReports = new DeliveryReports((recipient, message) -> {
                throw new IllegalStateException("a queue reader sends no reports");
            }, "queue-state.test", 0, QueueMetrics.NONE, clock);
            admin = new QueueAdmin(store, noReports, Duration.ofDays(1), clock);
        }
        return admin;
    }

    /** Rows of the recipients table for one recipient address, whatever the message. */
    public List<Row> recipientRows(String recipient) {
        List<Row> rows = new ArrayList<>();
        for (Row row : session.execute("SELECT * FROM " + keyspace + ".recipients")) {
            if (recipient.equals(row.getString("recipient"))) {
                rows.add(row);
            }
        }
        return rows;
    }

    /** Every row of the recipients table (message_id, recipient, state, attempts, claimed_by...). */
    public List<Row> allRecipientRows() {
        return session.execute("SELECT * FROM " + keyspace + ".recipients").all();
    }

    public List<Row> attempts(Row recipientRow) {
        return session.execute("SELECT * FROM " + keyspace + ".attempts WHERE message_id = ? AND recipient = ?",
            recipientRow.getUuid("message_id"), recipientRow.getString("recipient")).all();
    }

    /** The greylisting window learned for a destination domain (destination, lower_ms, upper_ms, observed_at), if any. */
    public Optional<Row> greylistWindow(String destination) {
        return Optional.ofNullable(session.execute("SELECT * FROM " + keyspace
            + ".greylist_windows WHERE destination = ?", destination).one());
    }

    /** The message probing a destination's greylisting (destination, message_id, since), if any. */
    public Optional<Row> greylistProber(String destination) {
        return Optional.ofNullable(session.execute("SELECT * FROM " + keyspace
            + ".greylist_probers WHERE destination = ?", destination).one());
    }

    /** The recipients waiting for a destination's greylisting prober (destination, message_id, recipient). */
    public List<Row> greylistWaiters(String destination) {
        return session.execute("SELECT * FROM " + keyspace + ".greylist_waiters WHERE destination = ?", destination)
            .all();
    }

    /** The intake journal: "writer mail_name" of every entry still there. */
    public List<String> intakeEntries() {
        List<String> entries = new ArrayList<>();
        for (Row row : session.execute("SELECT writer, mail_name FROM " + keyspace + ".intake")) {
            entries.add(row.getString("writer") + " " + row.getString("mail_name"));
        }
        return entries;
    }

    /** Whether the queue holds a message handed over under this James mail name. */
    public boolean queued(String mailName) {
        return session.execute("SELECT message_id FROM " + keyspace + ".messages WHERE message_id = ?",
            CassandraQueueStore.messageId(mailName)).one() != null;
    }

    /**
     * Waits until the recipient has exactly one row and it matches the condition; returns that row.
     * Fails with the rows seen last (and their attempts) when it does not happen in time.
     */
    public Row awaitRecipient(String recipient, Predicate<Row> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Row> rows = List.of();
        while (System.nanoTime() < deadline) {
            rows = recipientRows(recipient);
            if (rows.size() == 1 && condition.test(rows.get(0))) {
                return rows.get(0);
            }
            Thread.sleep(200);
        }
        StringBuilder seen = new StringBuilder();
        for (Row row : rows) {
            seen.append(row.getFormattedContents()).append('\n');
            for (Row attempt : attempts(row)) {
                seen.append("  ").append(attempt.getFormattedContents()).append('\n');
            }
        }
        throw new AssertionError("recipient " + recipient + " did not reach the expected state within " + timeout
            + "; rows:\n" + seen);
    }

    @Override
    public void close() {
        session.close();
    }
}
