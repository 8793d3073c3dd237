package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
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
import org.dispatchmail.core.dsn.DsnNotify;
import org.dispatchmail.core.dsn.DsnRet;
import org.dispatchmail.core.dsn.MessageDsn;
import org.dispatchmail.core.dsn.RecipientDsn;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraGreylistMemory;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.CassandraShardLeases;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.GreylistMemory;
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
    private static CassandraShardLeases leases;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        CassandraSettings settings = CassandraSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", KEYSPACE)));
        session = CassandraConnector.connect(settings);
        QueueSchema.apply(session, KEYSPACE, settings.replicationCql());
        store = new CassandraQueueStore(session, KEYSPACE, 4, Duration.ofMinutes(1), Duration.ofDays(12));
        leases = new CassandraShardLeases(session, KEYSPACE);
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
        assertThat(store.complete(delivered(id, "node-a"), done(id))).isTrue();

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
        assertThat(store.complete(delivered(id, "node-a"), done(id))).isFalse();
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
        RecipientRecord updated = store.recipient(id, "bob@remote.test").orElseThrow().toBuilder()
            .state(RecipientState.DEFERRED).attempts(1).nextAttemptAt(next).unclaimed()
            .lastResult(Optional.of(busy.describe())).greylistAttempts(1).firstGreylistedAt(Optional.of(T0))
            .lastGreylistedAt(Optional.of(T0)).build();
        assertThat(store.complete(new AttemptRecord(id, "node-a", T0.plusSeconds(2), busy, RecipientState.DEFERRED,
            Optional.of(next)), updated)).isTrue();

        RecipientRecord deferred = store.recipient(id, "bob@remote.test").orElseThrow();
        assertThat(deferred.state()).isEqualTo(RecipientState.DEFERRED);
        assertThat(deferred.nextAttemptAt()).isEqualTo(next);
        assertThat(deferred.lastResult()).hasValueSatisfying(text -> assertThat(text).contains("451"));
        assertThat(deferred.greylistAttempts()).isEqualTo(1);
        assertThat(deferred.firstGreylistedAt()).contains(T0);
        assertThat(store.attempts(id, "bob@remote.test")).singleElement().satisfies(attempt -> {
            assertThat(attempt.replyCode()).contains(451);
            assertThat(attempt.enhancedCode()).contains("4.3.0");
            assertThat(attempt.decision()).isEqualTo("DEFERRED");
            assertThat(attempt.nextAttemptAt()).contains(next);
        });
        assertThat(store.dueEntries(shardHolding(id), store.bucketOf(next), next, 1000))
            .anyMatch(entry -> entry.messageId().equals(id) && entry.dueAt().equals(next));
    }

    @Test
    void theCursorOfAShardIsKept() {
        store.advanceCursor(3, 123456L);
        assertThat(store.cursor(3)).contains(123456L);
    }

    @Test
    void theDsnParametersOfTheClientAreKept() {
        UUID id = store.enqueue(new NewMessage("dsn-" + UUID.randomUUID(), "alice@example.com",
            List.of("a@one.test", "b@two.test"), "x".getBytes(),
            new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("env-42")),
            List.of(new RecipientDsn(EnumSet.of(DsnNotify.FAILURE, DsnNotify.DELAY), Optional.of("rfc822;a@one.test")),
                RecipientDsn.NONE)), T0);

        assertThat(store.message(id).orElseThrow().dsn())
            .isEqualTo(new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("env-42")));
        assertThat(store.recipient(id, "a@one.test").orElseThrow().dsn().notifyOn())
            .containsExactlyInAnyOrder(DsnNotify.FAILURE, DsnNotify.DELAY);
        assertThat(store.recipient(id, "a@one.test").orElseThrow().dsn().originalRecipient()).contains("rfc822;a@one.test");
        assertThat(store.recipient(id, "b@two.test").orElseThrow().dsn()).isEqualTo(RecipientDsn.NONE);
    }

    @Test
    void anUpdateOnlyAppliesToTheStateItWasBasedOnAndIndexesAHeldRecipientAtItsExpiry() {
        UUID id = store.enqueue(message("hold-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        RecipientRecord pending = store.recipient(id, "bob@remote.test").orElseThrow();
        Instant expiry = T0.plus(Duration.ofDays(5));
        RecipientRecord held = pending.toBuilder().state(RecipientState.HELD).nextAttemptAt(expiry).build();

        assertThat(store.update(pending, held)).isTrue();
        assertThat(store.update(pending, held)).isFalse();
        assertThat(store.recipient(id, "bob@remote.test").orElseThrow().state()).isEqualTo(RecipientState.HELD);
        assertThat(store.dueEntries(shardHolding(id), store.bucketOf(expiry), expiry, 1000))
            .anyMatch(entry -> entry.messageId().equals(id));
        // a claimed recipient is not the admin's to change
        RecipientRecord released = held.toBuilder().state(RecipientState.DEFERRED).nextAttemptAt(T0).build();
        assertThat(store.update(held, released)).isTrue();
        assertThat(store.claim(store.recipient(id, "bob@remote.test").orElseThrow(), "node-a", T0.plusSeconds(900)))
            .isTrue();
        assertThat(store.update(released, released.toBuilder().state(RecipientState.HELD).build())).isFalse();
    }

    @Test
    void aFinishedMessageLosesItsContentAndLeavesTheActiveListButKeepsItsHistory() throws Exception {
        UUID id = store.enqueue(message("finish-" + UUID.randomUUID(), "x".getBytes(), "bob@remote.test"), T0);
        int shard = shardHolding(id);
        long day = Math.floorDiv(T0.getEpochSecond(), 86_400L);
        assertThat(store.activeMessages(shard, day)).contains(id);

        store.finish(id);

        assertThat(store.activeMessages(shard, day)).doesNotContain(id);
        assertThat(store.recipients(id)).hasSize(1);
        assertThat(session.execute("SELECT count(*) FROM " + KEYSPACE + ".message_chunks WHERE message_id = ?", id)
            .one().getLong(0)).isZero();
        store.delete(id);
        assertThat(store.message(id)).isEmpty();
        assertThat(store.recipients(id)).isEmpty();
    }

    @Test
    void aShardIsLeasedToOneNodeAtATimeAndFreedWhenItsLeaseRunsOut() throws Exception {
        int shard = 1000 + new Random().nextInt(1000);
        assertThat(leases.acquire(shard, "node-a", Duration.ofSeconds(3))).isTrue();
        assertThat(leases.acquire(shard, "node-b", Duration.ofSeconds(3))).isFalse();
        assertThat(leases.renew(shard, "node-b", Duration.ofSeconds(3))).isFalse();
        assertThat(leases.renew(shard, "node-a", Duration.ofSeconds(3))).isTrue();
        assertThat(leases.owners()).containsEntry(shard, "node-a");
        leases.heartbeat("node-a", Duration.ofSeconds(3));
        assertThat(leases.liveNodes()).contains("node-a");

        // node-a stops renewing: within the lease time node-b can take the shard
        Instant deadline = Instant.now().plusSeconds(20);
        boolean taken = false;
        while (!taken && Instant.now().isBefore(deadline)) {
            taken = leases.acquire(shard, "node-b", Duration.ofSeconds(30));
            if (!taken) {
                Thread.sleep(250);
            }
        }
        assertThat(taken).isTrue();
        assertThat(leases.liveNodes()).doesNotContain("node-a");
        leases.release(shard, "node-a");
        assertThat(leases.owners()).containsEntry(shard, "node-b");
        leases.release(shard, "node-b");
        assertThat(leases.owners()).doesNotContainKey(shard);
    }

    @Test
    void aLearnedGreylistingWindowIsSharedThroughCassandra() {
        CassandraGreylistMemory memory = new CassandraGreylistMemory(session, KEYSPACE);
        String destination = "grey-" + UUID.randomUUID() + ".test";
        assertThat(memory.window(destination)).isEmpty();
        memory.remember(destination, new GreylistMemory.LearnedWindow(Duration.ofSeconds(290), Duration.ofSeconds(310),
            T0), Duration.ofDays(7));
        GreylistMemory.LearnedWindow window = memory.window(destination).orElseThrow();
        assertThat(window.lower()).isEqualTo(Duration.ofSeconds(290));
        assertThat(window.upper()).isEqualTo(Duration.ofSeconds(310));
    }

    @Test
    void theLatestMigrationCanRunAgainAfterAnInterruptedStart() {
        session.execute("UPDATE " + KEYSPACE + ".schema_version SET version = ? WHERE component = 'queue'",
            QueueSchema.latestVersion() - 1);
        QueueSchema.apply(session, KEYSPACE, "{'class': 'SimpleStrategy', 'replication_factor': 1}");
        assertThat(session.execute("SELECT version FROM " + KEYSPACE + ".schema_version WHERE component = 'queue'")
            .one().getInt("version")).isEqualTo(QueueSchema.latestVersion());
    }

    private static RecipientRecord done(UUID id) {
        return store.recipient(id, "bob@remote.test").orElseThrow().toBuilder().state(RecipientState.DELIVERED)
            .attempts(1).nextAttemptAt(T0.plusSeconds(1)).unclaimed().build();
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
