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
import org.dispatchmail.core.intake.CassandraIntakeJournal;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.intake.IntakeJournal;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.CassandraGreylistMemory;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.worker.DeliveryReports;
import org.dispatchmail.core.worker.QueueMetrics;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

/**
 * What a node recorded, read from its keyspace through core's own readers, so that a test names no column:
 * recipients and their attempts as the queue admin shows them ({@link #recipients}, {@link #attempts}), and, for
 * what the admin does not show, the greylisting memory and the intake journal through their store interfaces.
 * Open it once a node has created the keyspace.
 */
public final class QueueState implements AutoCloseable {
    private final CqlSession session;
    private final String keyspace;
    private final QueueAdmin admin;
    private final GreylistMemory greylists;
    private final IntakeJournal journal;

    /**
     * Connects and prepares the readers at once, so that a test's first read is as quick as the next (some tests
     * poll within a second's window).
     */
    public QueueState(EmbeddedCassandra cassandra, String keyspace) {
        this.session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(cassandra.address(), cassandra.nativePort()))
            .withLocalDatacenter(cassandra.localDatacenter())
            .build();
        this.keyspace = keyspace;
        try {
            this.admin = queueAdmin(session, keyspace);
            this.greylists = new CassandraGreylistMemory(session, keyspace);
            // the entry lifetime matters only to writes
            this.journal = new CassandraIntakeJournal(session, keyspace, Duration.ofDays(1), Clock.systemUTC());
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Every recipient record of this address, whatever the message, as the queue admin shows it. */
    public List<RecipientRecord> recipients(String recipient) {
        List<RecipientRecord> records = new ArrayList<>();
        for (UUID messageId : messages(recipient::equals)) {
            for (RecipientRecord record : admin.recipients(messageId)) {
                if (record.recipient().equals(recipient)) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    /** The attempt history of one recipient, as the queue admin shows it. */
    public List<AttemptHistoryEntry> attempts(RecipientRecord record) {
        return admin.attempts(record.messageId(), record.recipient());
    }

    /** Every recipient record in the queue, whatever the message or the address. */
    public List<RecipientRecord> allRecipients() {
        List<RecipientRecord> records = new ArrayList<>();
        for (UUID messageId : messages(address -> true)) {
            records.addAll(admin.recipients(messageId));
        }
        return records;
    }

    /**
     * Waits until the address has exactly one recipient record and it matches the condition; returns it.
     * Fails with the records seen last (and their attempts) when it does not happen in time.
     */
    public RecipientRecord awaitRecipient(String recipient, Predicate<RecipientRecord> condition, Duration timeout)
        throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<RecipientRecord> records = List.of();
        while (System.nanoTime() < deadline) {
            records = recipients(recipient);
            if (records.size() == 1 && condition.test(records.get(0))) {
                return records.get(0);
            }
            Thread.sleep(200);
        }
        StringBuilder seen = new StringBuilder();
        for (RecipientRecord record : records) {
            seen.append(record).append(" greylistAttempts=").append(record.greylistAttempts())
                .append(record.lastResult().map(result -> " lastResult=" + result).orElse("")).append('\n');
            for (AttemptHistoryEntry attempt : attempts(record)) {
                seen.append("  ").append(describe(attempt)).append('\n');
            }
        }
        throw new AssertionError("recipient " + recipient + " did not reach the expected state within " + timeout
            + "; records:\n" + seen);
    }

    /** The greylisting window learned for a destination domain, if any. */
    public Optional<LearnedWindow> greylistWindow(String destination) {
        return greylists.window(destination);
    }

    /** The message probing a destination's greylisting, if any. */
    public Optional<Prober> greylistProber(String destination) {
        return greylists.prober(destination);
    }

    /** The recipients waiting for a destination's greylisting prober. */
    public List<Waiter> greylistWaiters(String destination) {
        return greylists.waiters(destination);
    }

    /** The intake journal: "writer mail_name" of every entry still there (a writer is listed before it writes). */
    public List<String> intakeEntries() {
        List<String> entries = new ArrayList<>();
        for (String writer : journal.writers()) {
            for (IntakeEntry entry : journal.entries(writer)) {
                entries.add(entry.writer() + " " + entry.mailName());
            }
        }
        return entries;
    }

    /** Whether the queue holds a message handed over under this James mail name. */
    public boolean queued(String mailName) {
        return admin.message(CassandraQueueStore.messageId(mailName)).isPresent();
    }

    private static String describe(AttemptHistoryEntry attempt) {
        return attempt.attemptedAt() + " " + attempt.node() + " " + attempt.host().orElse("-") + " "
            + attempt.address().orElse("-") + " " + attempt.stage() + " "
            + attempt.replyCode().map(String::valueOf).orElse("-") + " " + attempt.enhancedCode().orElse("-") + " "
            + attempt.decision() + attempt.nextAttemptAt().map(t -> " next=" + t).orElse("")
            + attempt.text().map(t -> " \"" + t + "\"").orElse("");
    }

    /**
     * The messages with a recipient whose address matches: the one read of a table's columns here, as the queue
     * has no index of finished messages by recipient (the admin lists unfinished ones only). Only the key columns.
     */
    private Set<UUID> messages(Predicate<String> address) {
        Set<UUID> ids = new LinkedHashSet<>();
        for (Row row : session.execute("SELECT message_id, recipient FROM " + keyspace + ".recipients")) {
            if (address.test(row.getString("recipient"))) {
                ids.add(row.getUuid("message_id"));
            }
        }
        return ids;
    }

    /**
     * An admin over the node's queue, for reading: the shard count, bucket size and retention given here matter
     * only to writes and listings, which these tests make through the node.
     */
    private static QueueAdmin queueAdmin(CqlSession session, String keyspace) {
        Clock clock = Clock.systemUTC();
        CassandraQueueStore store = new CassandraQueueStore(session, keyspace, 1, Duration.ofMinutes(1),
            Duration.ofDays(1), clock);
        DeliveryReports noReports = new DeliveryReports((recipient, message) -> {
            throw new IllegalStateException("a queue reader sends no reports");
        }, "queue-state.test", 0, QueueMetrics.NONE, clock);
        return new QueueAdmin(store, noReports, Duration.ofDays(1), clock);
    }

    @Override
    public void close() {
        session.close();
    }
}
