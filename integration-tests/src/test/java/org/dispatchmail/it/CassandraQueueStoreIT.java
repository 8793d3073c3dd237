package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.cassandra.CassandraConnector;
import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.config.CassandraSettings;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** The queue store against a real Cassandra: durability of the hand-over, idempotence, claims. */
@ExtendWith(CassandraExtension.class)
class CassandraQueueStoreIT {
    private static final String KEYSPACE = "store_it";
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    private static CqlSession session;
    private static CassandraQueueStore store;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        CassandraSettings settings = CassandraSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", KEYSPACE)));
        session = CassandraConnector.connect(settings);
        QueueSchema.apply(session, KEYSPACE, settings.replicationCql());
        store = new CassandraQueueStore(session, KEYSPACE, 4, Duration.ofMinutes(1));
    }

    @AfterAll
    static void close() {
        session.close();
    }

    private static NewMessage message(String name, byte[] content, String... recipients) {
        return new NewMessage(name, "alice@example.com", List.of(recipients), content);
    }

    @Test
    void schemaCanBeAppliedAgainWithoutChange() {
        QueueSchema.apply(session, KEYSPACE, "{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assertThat(session.execute("SELECT version FROM " + KEYSPACE + ".schema_version WHERE component = 'queue'")
            .one().getInt("version")).isEqualTo(QueueSchema.latestVersion());
    }

    @Test
    void aLargeMessageIsStoredInChunksAndReadBackWhole() throws Exception {
        byte[] content = new byte[3 * 1024 * 1024 + 17];
        new Random(42).nextBytes(content);
        UUID id = store.enqueue(message("large-" + UUID.randomUUID(), content, "bob@remote.test"), T0);

        StoredMessage stored = store.message(id).orElseThrow();
        assertThat(stored.content().size()).isEqualTo(content.length);
        try (InputStream in = stored.content().open()) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        assertThat(session.execute("SELECT count(*) FROM " + KEYSPACE + ".message_chunks WHERE message_id = ?", id)
            .one().getLong(0)).isEqualTo(13);
    }

    @Test
    void eachRecipientIsPendingAndDueAtEnqueueTime() {
        UUID id = store.enqueue(message("due-" + UUID.randomUUID(), "x".getBytes(), "a@one.test", "b@two.test"), T0);

        assertThat(store.recipients(id)).extracting(RecipientRecord::state)
            .containsOnly(RecipientState.PENDING);
        List<DueEntry> due = store.dueEntries(shardHolding(id), store.bucketOf(T0), T0, 1000);
        assertThat(due).filteredOn(entry -> entry.messageId().equals(id))
            .extracting(DueEntry::recipient).containsExactlyInAnyOrder("a@one.test", "b@two.test");
    }

    @Test
    void aRepeatedHandOverOfTheSameMailNeverResetsARecipient() {
        String name = "repeat-" + UUID.randomUUID();
        UUID id = store.enqueue(message(name, "first".getBytes(), "bob@remote.test"), T0);
        RecipientRecord pending = store.recipient(id, "bob@remote.test").orElseThrow();
        assertThat(store.claim(pending, "node-a", T0.plusSeconds(900))).isTrue();
        assertThat(store.complete(delivered(id, "node-a"), 1)).isTrue();

        UUID again = store.enqueue(message(name, "first".getBytes(), "bob@remote.test"), T0.plusSeconds(5));

        assertThat(again).isEqualTo(id);
        assertThat(store.recipient(id, "bob@remote.test").orElseThrow().state()).isEqualTo(RecipientState.DELIVERED);
    }

    @Test
    void onlyOneOfTwoNodesWinsAClaimAndALapsedClaimCanBeTakenOver() {
        UUID id = store.enqueue(message("claim-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord seen = store.recipient(id, "bob@remote.test").orElseThrow();

        assertThat(store.claim(seen, "node-a", T0.plusSeconds(900))).isTrue();
        assertThat(store.claim(seen, "node-b", T0.plusSeconds(900))).isFalse();

        RecipientRecord inFlight = store.recipient(id, "bob@remote.test").orElseThrow();
        assertThat(inFlight.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(inFlight.claimedBy()).contains("node-a");
        assertThat(inFlight.claimableAt(T0.plusSeconds(60))).isFalse();
        // node-a died: once its claim runs out the recipient is due again, under the claim's own index entry
        Instant lapsed = T0.plusSeconds(901);
        assertThat(inFlight.claimableAt(lapsed)).isTrue();
        assertThat(store.dueEntries(shardHolding(id), store.bucketOf(T0.plusSeconds(900)), lapsed, 1000))
            .anyMatch(entry -> entry.messageId().equals(id));
        assertThat(store.claim(inFlight, "node-b", lapsed.plusSeconds(900))).isTrue();
        // node-a comes back late: its outcome no longer overwrites node-b's claim
        assertThat(store.complete(delivered(id, "node-a"), 1)).isFalse();
        assertThat(store.recipient(id, "bob@remote.test").orElseThrow().claimedBy()).contains("node-b");
    }

    @Test
    void aDeferredRecipientIsIndexedAtItsNextAttempt() {
        UUID id = store.enqueue(message("defer-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        assertThat(store.claim(store.recipient(id, "bob@remote.test").orElseThrow(), "node-a",
            T0.plusSeconds(900))).isTrue();
        Instant next = T0.plus(Duration.ofMinutes(5));
        RecipientOutcome busy = RecipientOutcome.fromReply("bob@remote.test", "mx.remote.test", "192.0.2.1", "rcpt",
            SmtpReply.parse(List.of("451 4.3.0 try later")));
        assertThat(store.complete(new AttemptRecord(id, "node-a", T0.plusSeconds(2), busy, RecipientState.DEFERRED,
            Optional.of(next)), 1)).isTrue();

        RecipientRecord deferred = store.recipient(id, "bob@remote.test").orElseThrow();
        assertThat(deferred.state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(deferred.nextAttemptAt()).isEqualTo(next);
        assertThat(deferred.lastResult()).hasValueSatisfying(text -> assertThat(text).contains("451"));
        assertThat(store.dueEntries(shardHolding(id), store.bucketOf(next), next, 1000))
            .anyMatch(entry -> entry.messageId().equals(id) && entry.dueAt().equals(next));
    }

    @Test
    void theCursorOfAShardIsKept() {
        store.advanceCursor(3, 123456L);
        assertThat(store.cursor(3)).contains(123456L);
    }

    private static AttemptRecord delivered(UUID id, String node) {
        RecipientOutcome ok = RecipientOutcome.fromReply("bob@remote.test", "mx.remote.test", "192.0.2.1",
            "end-of-data", SmtpReply.parse(List.of("250 2.0.0 Ok: queued")));
        return new AttemptRecord(id, node, T0.plusSeconds(1), ok, RecipientState.DELIVERED, Optional.empty());
    }

    private static int shardHolding(UUID id) {
        return session.execute("SELECT shard FROM " + KEYSPACE + ".messages WHERE message_id = ?", id).one().getInt("shard");
    }
}
