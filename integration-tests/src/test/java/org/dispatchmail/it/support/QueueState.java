package org.dispatchmail.it.support;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

/** Reads Dispatch's queue tables straight from Cassandra, to check what the queue recorded. */
public final class QueueState implements AutoCloseable {
    private final CqlSession session;
    private final String keyspace;

    public QueueState(EmbeddedCassandra cassandra, String keyspace) {
        this.session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(cassandra.address(), cassandra.nativePort()))
            .withLocalDatacenter(cassandra.localDatacenter())
            .build();
        this.keyspace = keyspace;
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
