package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.CassandraGreylistMemory;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.CassandraShardLeases;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.QueueStoreContract;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** The queue store against a real Cassandra: the store contract, chunks, leases, learned windows, migrations. */
@ExtendWith(CassandraExtension.class)
class CassandraQueueStoreIT extends QueueStoreContract {
    private static final String KEYSPACE = "store_it";

    private static CqlSession session;
    private static CassandraQueueStore store;
    private static CassandraShardLeases leases;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        session = TestKeyspace.of(cassandra, KEYSPACE).connectWithSchema();
        store = new CassandraQueueStore(session, KEYSPACE, 4, Duration.ofMinutes(1), Duration.ofDays(12),
            Clock.systemUTC());
        leases = new CassandraShardLeases(session, KEYSPACE, Clock.systemUTC());
    }

    @Override
    protected QueueStore store() {
        return store;
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
        QueueSchema.apply(session, KEYSPACE, "{'class': 'SimpleStrategy', 'replication_factor': 1}", Clock.systemUTC());
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
        // the heartbeat was written after the renewal, so it may outlive the lease by as long as that took
        Instant heartbeatGone = Instant.now().plusSeconds(5);
        while (leases.liveNodes().contains("node-a") && Instant.now().isBefore(heartbeatGone)) {
            Thread.sleep(100);
        }
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
    void oneGreylistingProberPerDestinationItsWaitersAndTheirExpiry() throws Exception {
        CassandraGreylistMemory memory = new CassandraGreylistMemory(session, KEYSPACE);
        CassandraGreylistMemory otherNode = new CassandraGreylistMemory(session, KEYSPACE);
        String destination = "grey-" + UUID.randomUUID() + ".test";
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        assertThat(memory.prober(destination)).isEmpty();

        // the role is taken once: a second candidate gets the prober in place
        GreylistMemory.Prober taken = memory.becomeProber(destination, new GreylistMemory.Prober(first, T0),
            Duration.ofMinutes(40));
        assertThat(taken.messageId()).isEqualTo(first);
        GreylistMemory.Prober lost = otherNode.becomeProber(destination,
            new GreylistMemory.Prober(second, T0.plusSeconds(2)), Duration.ofMinutes(40));
        assertThat(lost).isEqualTo(new GreylistMemory.Prober(first, T0));
        assertThat(otherNode.prober(destination)).contains(new GreylistMemory.Prober(first, T0));

        // waiters, listed by destination, removed per message
        otherNode.addWaiter(destination, new GreylistMemory.Waiter(second, "carol@remote.test"), Duration.ofMinutes(35));
        otherNode.addWaiter(destination, new GreylistMemory.Waiter(second, "dave@remote.test"), Duration.ofMinutes(35));
        UUID third = UUID.randomUUID();
        otherNode.addWaiter(destination, new GreylistMemory.Waiter(third, "erin@remote.test"), Duration.ofMinutes(35));
        assertThat(memory.waiters(destination)).containsExactlyInAnyOrder(
            new GreylistMemory.Waiter(second, "carol@remote.test"), new GreylistMemory.Waiter(second, "dave@remote.test"),
            new GreylistMemory.Waiter(third, "erin@remote.test"));
        memory.removeWaiters(destination, second);
        assertThat(memory.waiters(destination)).containsExactly(new GreylistMemory.Waiter(third, "erin@remote.test"));

        // only the prober itself removes its row
        otherNode.removeProber(destination, second);
        assertThat(memory.prober(destination)).isPresent();
        memory.removeProber(destination, first);
        assertThat(memory.prober(destination)).isEmpty();
        assertThat(otherNode.becomeProber(destination, new GreylistMemory.Prober(second, T0.plusSeconds(60)),
            Duration.ofSeconds(2)).messageId()).as("the role is free again").isEqualTo(second);

        // rows expire by themselves: a prober that vanished frees the role, a waiter is forgotten
        otherNode.addWaiter(destination, new GreylistMemory.Waiter(second, "frank@remote.test"), Duration.ofSeconds(2));
        Instant deadline = Instant.now().plusSeconds(20);
        while ((memory.prober(destination).isPresent() || memory.waiters(destination).size() > 1)
            && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
        }
        assertThat(memory.prober(destination)).isEmpty();
        assertThat(memory.waiters(destination)).containsExactly(new GreylistMemory.Waiter(third, "erin@remote.test"));
        assertThat(memory.becomeProber(destination, new GreylistMemory.Prober(third, T0.plusSeconds(90)),
            Duration.ofMinutes(40)).messageId()).isEqualTo(third);
    }

    @Test
    void theLatestMigrationCanRunAgainAfterAnInterruptedStart() {
        session.execute("UPDATE " + KEYSPACE + ".schema_version SET version = ? WHERE component = 'queue'",
            QueueSchema.latestVersion() - 1);
        QueueSchema.apply(session, KEYSPACE, "{'class': 'SimpleStrategy', 'replication_factor': 1}", Clock.systemUTC());
        assertThat(session.execute("SELECT version FROM " + KEYSPACE + ".schema_version WHERE component = 'queue'")
            .one().getInt("version")).isEqualTo(QueueSchema.latestVersion());
    }

    private static int shardHolding(UUID id) {
        return session.execute("SELECT shard FROM " + KEYSPACE + ".messages WHERE message_id = ?", id).one().getInt("shard");
    }
}
