package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dispatchmail.core.cassandra.CassandraRequestCount;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.intake.CassandraIntakeJournal;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.session.Request;
import com.datastax.oss.driver.api.core.tracker.RequestTracker;

/**
 * The CQL requests one message with one recipient costs, step by step, in the order the intake, the
 * Dispatch mailet and the delivery worker make them, against a real Cassandra: the table "Cassandra
 * requests per message" of docs/durability.md. Each step prints its statements; the counts are asserted,
 * so a change to them is a change to that table.
 */
@ExtendWith(CassandraExtension.class)
class CassandraRequestsPerMessageIT {
    private static final String KEYSPACE = "requests_it";
    private static final Duration BUCKET = Duration.ofMinutes(1);
    private static final Duration CLAIM = Duration.ofMinutes(10);
    private static final Duration LEASE = Duration.ofSeconds(30);

    /** Ends each step: see {@link RequestLog#step}. */
    private static final SimpleStatement MARKER = SimpleStatement.newInstance("SELECT release_version FROM system.local");
    private static final RequestLog LOG = new RequestLog();
    private static CqlSession session;
    private static CassandraQueueStore store;
    private static CassandraIntakeJournal journal;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        TestKeyspace keyspace = TestKeyspace.of(cassandra, KEYSPACE);
        session = keyspace.connect(LOG);
        keyspace.applySchema(session);
        store = new CassandraQueueStore(session, KEYSPACE, 4, BUCKET, Duration.ofDays(6), Clock.systemUTC());
        journal = new CassandraIntakeJournal(session, KEYSPACE, Duration.ofDays(6), Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    @Test
    void oneMessageToOneRecipientSubmittedAndDelivered() throws Exception {
        String name = "Mail-" + UUID.randomUUID();
        String recipient = "bob@remote.test";
        byte[] content = ("Subject: one\r\n\r\n" + "x".repeat(5000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        // early in a bucket, so the message is indexed in the bucket of now whatever its write takes
        Instant now = Instant.now().truncatedTo(ChronoUnit.MINUTES).plusSeconds(1);

        // Submission, before the 250: the intake journal.
        IntakeEntry entry = new IntakeEntry("node-a", name, now, new byte[] {1}, MessageContent.ofBytes(content));
        Step journaled = LOG.step("submission: journal before the 250", () -> journal.record(entry));
        // After the 250: the Dispatch mailet queues it, then the journal entry is cleared.
        UUID[] queued = new UUID[1];
        Step enqueued = LOG.step("submission: queue after the 250", () -> queued[0] = store.enqueue(
            new NewMessage(name, "alice@example.com", List.of(recipient), content), now));
        Step cleared = LOG.step("submission: clear the journal entry", () -> journal.clear(entry.key()));
        UUID id = queued[0];

        // Delivery: a poll finds the due entry (one read per shard and bucket, shared by the messages found)...
        int shard = store.shardOf(id);
        Instant pollAt = now.plusSeconds(1);
        List<DueEntry> due = new ArrayList<>();
        Step polled = LOG.step("delivery: poll (shared)", () -> due.addAll(
            store.dueEntries(shard, store.bucketOf(now), pollAt, 100)));
        assertThat(due).hasSize(1);
        // ...reads the message's recipients, claims the due one, removes the entry handled.
        Instant claimUntil = pollAt.plus(CLAIM);
        Instant lookAgainAt = pollAt.plus(LEASE);
        List<RecipientRecord> claimed = new ArrayList<>();
        Step claim = LOG.step("delivery: claim", () -> {
            List<RecipientRecord> seen = store.recipients(id);
            claimed.addAll(store.claim(seen, "node-a", claimUntil, lookAgainAt));
            store.removeDue(due);
        });
        assertThat(claimed).hasSize(1);
        // The attempt reads the message and its content.
        List<StoredMessage> stored = new ArrayList<>();
        Step attempt = LOG.step("delivery: attempt", () -> {
            stored.add(store.message(id).orElseThrow());
            try (InputStream in = stored.get(0).content().open()) {
                assertThat(in.readAllBytes()).isEqualTo(content);
            }
        });
        // The outcome: history, state (fenced by the claim's token), then the content goes, and with it the
        // entry the claim left to look at the recipient again (the worker knows it: the claim's lookAgainAt).
        RecipientRecord mine = claimed.get(0);
        RecipientOutcome ok = RecipientOutcome.fromReply(recipient, "mx.remote.test", "192.0.2.1",
            AttemptStage.END_OF_DATA, SmtpReply.parse(List.of("250 2.0.0 Ok: queued")));
        RecipientRecord done = mine.toBuilder().state(RecipientState.DELIVERED).attempts(1)
            .nextAttemptAt(pollAt.plusSeconds(1)).unclaimed().build();
        Step outcome = LOG.step("delivery: outcome", () -> {
            assertThat(store.complete(List.of(new AttemptRecord(id, "node-a", mine.claimToken().orElseThrow(),
                pollAt.plusSeconds(1), ok, RecipientState.DELIVERED, Optional.empty())), List.of(done))).isEmpty();
            store.finish(stored.get(0), List.of(store.dueEntry(id, recipient, lookAgainAt)));
        });
        // Clean-up: the poll of the bucket where the claim's entry was finds nothing left to read or remove.
        List<DueEntry> later = new ArrayList<>();
        Instant laterPoll = lookAgainAt.plusSeconds(1);
        Step laterRead = LOG.step("clean-up: later poll (shared)", () -> later.addAll(
            store.dueEntries(shard, store.bucketOf(lookAgainAt), laterPoll, 100)));
        Step cleanUp = LOG.step("clean-up: entry left by the claim", () -> {
            for (DueEntry left : later) {
                assertThat(store.recipients(left.messageId())).allMatch(r -> r.state() == RecipientState.DELIVERED);
            }
            if (!later.isEmpty()) {
                store.removeDue(later);
            }
        });

        System.out.println(LOG.table());
        assertThat(List.of(journaled.requests(), enqueued.requests(), cleared.requests()))
            .as("submission: journal, queue, clear").containsExactly(2, 3, 1);
        assertThat(List.of(polled.requests(), claim.requests(), attempt.requests(), outcome.requests()))
            .as("delivery: poll, claim, attempt, outcome").containsExactly(1, 4, 2, 3);
        assertThat(later).isEmpty();
        assertThat(List.of(laterRead.requests(), cleanUp.requests())).as("clean-up: poll, entry")
            .containsExactly(1, 0);
        assertThat(claim.lightweight() + outcome.lightweight()).as("lightweight transactions").isEqualTo(2);
    }

    /** One step's requests, in the order they ended. */
    static final class Step {
        final String name;
        final List<String> statements = new ArrayList<>();
        int lightweight;
        volatile boolean markerSeen;

        Step(String name) {
            this.name = name;
        }

        int requests() {
            return statements.size();
        }

        int lightweight() {
            return lightweight;
        }
    }

    /** Keeps every request the session sends, labelled "INSERT messages" or "BATCH[...]", LWT marked. */
    static final class RequestLog implements RequestTracker {
        private static final Pattern TABLE = Pattern.compile(
            "^\\s*(INSERT INTO|UPDATE|DELETE FROM|SELECT .*? FROM)\\s+\\w+\\.(\\w+)", Pattern.CASE_INSENSITIVE);
        private final List<Step> steps = new CopyOnWriteArrayList<>();
        private volatile Step current;

        interface Action {
            void run() throws Exception;
        }

        /**
         * Runs one step. The driver tells a tracker of a request just after handing its result over, so the step
         * ends with a marker request: once the marker is told, every request of the step has been.
         */
        Step step(String name, Action action) throws Exception {
            Step step = new Step(name);
            current = step;
            try {
                action.run();
                session.execute(MARKER);
                await().atMost(Duration.ofSeconds(10)).until(() -> step.markerSeen);
            } finally {
                current = null;
            }
            steps.add(step);
            return step;
        }

        @Override
        public void onSuccess(Request request, long latencyNanos, DriverExecutionProfile profile, Node node,
                              String logPrefix) {
            Step step = current;
            if (request == MARKER && step != null) {
                step.markerSeen = true;
            } else if (step != null) {
                synchronized (step) {
                    boolean lwt = CassandraRequestCount.isLightweightTransaction(request);
                    step.statements.add(describe(request) + (lwt ? " (LWT)" : ""));
                    if (lwt) {
                        step.lightweight++;
                    }
                }
            }
        }

        @Override
        public void close() {
        }

        private static String describe(Request request) {
            if (request instanceof BatchStatement) {
                List<String> inner = new ArrayList<>();
                for (BatchableStatement<?> statement : (BatchStatement) request) {
                    inner.add(describe(statement));
                }
                return "BATCH[" + String.join(", ", inner) + "]";
            }
            String cql = request instanceof BoundStatement
                ? ((BoundStatement) request).getPreparedStatement().getQuery() : String.valueOf(request);
            Matcher m = TABLE.matcher(cql);
            if (!m.find()) {
                return cql;
            }
            String verb = m.group(1).toUpperCase().startsWith("SELECT") ? "SELECT" : m.group(1).split(" ")[0];
            return verb.toUpperCase() + " " + m.group(2);
        }

        String table() {
            StringBuilder out = new StringBuilder("Cassandra requests per message (one recipient):\n");
            for (Step step : steps) {
                out.append(String.format("%-40s %2d requests, %d LWT: %s%n", step.name, step.requests(),
                    step.lightweight, String.join("; ", step.statements)));
            }
            return out.toString();
        }
    }
}
