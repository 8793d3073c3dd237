package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

import org.dispatchmail.core.cassandra.ChunkWriter;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.intake.CassandraIntakeJournal;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

/** The intake journal against a real Cassandra: content in chunks, adoption, and a busy writer's tombstones. */
@ExtendWith(CassandraExtension.class)
class IntakeJournalIT {
    private static final String KEYSPACE = "journal_it";
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private static CqlSession session;
    private static CassandraIntakeJournal journal;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        session = TestKeyspace.of(cassandra, KEYSPACE).connectWithSchema();
        journal = new CassandraIntakeJournal(session, KEYSPACE, Duration.ofDays(1), Clock.systemUTC());
    }

    /** Its 150,000 tombstones leave the shared Cassandra with the keyspace. */
    @AfterAll
    static void close() {
        session.execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + KEYSPACE)
            .setTimeout(Duration.ofSeconds(60)));
        session.close();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static byte[] read(IntakeEntry entry) throws IOException {
        try (InputStream in = entry.content().open()) {
            return in.readAllBytes();
        }
    }

    @Test
    void entriesComeBackWholeAndMoveToTheNodeThatAdoptsThem() throws Exception {
        byte[] small = "Subject: small\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] large = random(600 * 1024 + 17, 1);
        journal.record(new IntakeEntry("node-x", "MailSmall", NOW, new byte[] {1}, MessageContent.ofBytes(small)));
        journal.record(new IntakeEntry("node-x", "MailLarge", NOW, new byte[] {2}, MessageContent.ofBytes(large)));

        Map<String, IntakeEntry> entries = journal.entries("node-x").stream()
            .collect(Collectors.toMap(IntakeEntry::mailName, entry -> entry));
        assertThat(entries).containsOnlyKeys("MailSmall", "MailLarge");
        assertThat(read(entries.get("MailSmall"))).isEqualTo(small);
        assertThat(read(entries.get("MailLarge"))).isEqualTo(large);
        assertThat(entries.get("MailLarge").size()).isEqualTo(large.length);
        assertThat(entries.get("MailLarge").envelope()).containsExactly(2);

        journal.adopt(entries.get("MailLarge"), "node-y");
        assertThat(journal.entries("node-x")).extracting(IntakeEntry::mailName).containsExactly("MailSmall");
        List<IntakeEntry> adopted = journal.entries("node-y");
        assertThat(adopted).extracting(IntakeEntry::mailName).containsExactly("MailLarge");
        assertThat(read(adopted.get(0))).as("the content stays where it was").isEqualTo(large);

        journal.clear(adopted.get(0).key());
        journal.clear(entries.get("MailSmall").key());
        assertThat(journal.entries("node-x")).isEmpty();
        assertThat(journal.entries("node-y")).isEmpty();
    }

    /**
     * A node that accepted 150,000 mails leaves as many tombstones in its journal until compaction, more than
     * Cassandra's tombstone_failure_threshold (100,000) allows one read to scan: spread over the writer's
     * partitions, its journal is still read back.
     */
    @Test
    void aBusyWritersClearedEntriesDoNotStopItsJournalBeingRead() throws Exception {
        PreparedStatement delete = session.prepare("DELETE FROM " + KEYSPACE + ".intake WHERE writer = ? AND slot = ?"
            + " AND mail_name = ?");
        Deque<CompletionStage<AsyncResultSet>> running = new ArrayDeque<>();
        for (int i = 0; i < 150_000; i++) {
            String name = "Cleared" + i;
            if (running.size() >= 256) {
                ChunkWriter.await(running.removeFirst(), "delete");
            }
            running.addLast(session.executeAsync(delete.bind("busy", CassandraIntakeJournal.slotOf(name), name)));
        }
        ChunkWriter.awaitAll(List.copyOf(running), "delete");
        journal.record(new IntakeEntry("busy", "StillHere1", NOW, new byte[] {1},
            MessageContent.ofBytes("a".getBytes(StandardCharsets.US_ASCII))));
        journal.record(new IntakeEntry("busy", "StillHere2", NOW, new byte[] {1},
            MessageContent.ofBytes("b".getBytes(StandardCharsets.US_ASCII))));

        assertThat(journal.entries("busy")).extracting(IntakeEntry::mailName)
            .containsExactlyInAnyOrder("StillHere1", "StillHere2");
    }
}
