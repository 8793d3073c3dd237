package org.dispatchmail.core.intake;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.dispatchmail.core.cassandra.CassandraCalls;
import org.dispatchmail.core.cassandra.ChunkWriter;
import org.dispatchmail.core.delivery.MessageContent;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * The intake journal in Cassandra: a row per mail in its writer's partition ({@code intake}) and the
 * content in chunks of its own partition ({@code intake_chunks}), written in parallel, so a small mail
 * costs two writes and a large one never makes a large cell. Writers register themselves in a small
 * table of their own, so finding the dead ones never scans the journal. Claims are lightweight
 * transactions on rows that expire.
 */
public final class CassandraIntakeJournal implements IntakeJournal {
    static final int CHUNK_SIZE = 256 * 1024;
    /** Chunk writes of one mail in flight at once, and chunks fetched per page when read back. */
    private static final int CHUNKS_IN_FLIGHT = 4;
    private static final int CHUNKS_PER_PAGE = 4;
    /**
     * Partitions per writer: a cleared entry leaves a tombstone until compaction after gc_grace (1 h), and a
     * read stops at 100,000 of them (Cassandra's tombstone_failure_threshold). Spread over 32 partitions, a
     * node may clear about 3 million entries an hour before its journal could no longer be read back.
     */
    static final int SLOTS = 32;

    private final CqlSession session;
    private final Clock clock;
    private final ChunkWriter chunkWriter;
    private final PreparedStatement insertEntry;
    private final PreparedStatement insertChunk;
    private final PreparedStatement deleteEntry;
    private final PreparedStatement deleteChunks;
    private final PreparedStatement selectWriters;
    private final PreparedStatement selectEntries;
    private final PreparedStatement selectChunks;
    private final PreparedStatement claim;
    private final PreparedStatement release;
    private final PreparedStatement register;
    private final PreparedStatement unregister;

    /**
     * @param ttl   how long an entry lives at most, if nothing clears it (a safety net, not the normal path)
     * @param clock the time written as a writer's {@code seen_at}
     */
    public CassandraIntakeJournal(CqlSession session, String keyspace, Duration ttl, Clock clock) {
        this.session = session;
        this.clock = clock;
        this.chunkWriter = new ChunkWriter(session, CHUNK_SIZE, CHUNKS_IN_FLIGHT);
        String ks = keyspace + ".";
        String using = " USING TTL " + Math.toIntExact(Math.min(ttl.getSeconds(), 630_720_000L));
        insertEntry = session.prepare("INSERT INTO " + ks + "intake (writer, slot, mail_name, received_at, envelope,"
            + " size, chunk_count) VALUES (:writer, :slot, :mail_name, :received_at, :envelope, :size, :chunk_count)"
            + using);
        insertChunk = session.prepare("INSERT INTO " + ks + "intake_chunks (mail_name, chunk, data)"
            + " VALUES (:mail_name, :chunk, :data)" + using);
        deleteEntry = session.prepare("DELETE FROM " + ks + "intake WHERE writer = :writer AND slot = :slot"
            + " AND mail_name = :mail_name");
        deleteChunks = session.prepare("DELETE FROM " + ks + "intake_chunks WHERE mail_name = :mail_name");
        selectWriters = session.prepare("SELECT writer FROM " + ks + "intake_writers");
        register = session.prepare("INSERT INTO " + ks + "intake_writers (writer, seen_at) VALUES (:writer, :seen_at)");
        unregister = session.prepare("DELETE FROM " + ks + "intake_writers WHERE writer = :writer");
        selectEntries = session.prepare("SELECT * FROM " + ks + "intake WHERE writer = :writer AND slot = :slot");
        selectChunks = session.prepare("SELECT chunk, data FROM " + ks + "intake_chunks WHERE mail_name = :mail_name");
        claim = session.prepare("INSERT INTO " + ks + "intake_claims (writer, claimant) VALUES (:writer, :claimant)"
            + " IF NOT EXISTS USING TTL :ttl_seconds");
        release = session.prepare("DELETE FROM " + ks + "intake_claims WHERE writer = :writer IF claimant = :claimant");
    }

    @Override
    public void record(IntakeEntry entry) {
        String what = "journal " + entry.mailName();
        ChunkWriter.Written content;
        try (InputStream in = entry.content().open()) {
            content = chunkWriter.write(in, (chunk, data) -> insertChunk.bind()
                .setString("mail_name", entry.mailName()).setInt("chunk", chunk).setByteBuffer("data", data), what);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the content to " + what + ": " + e.getMessage(), e);
        }
        List<CompletionStage<AsyncResultSet>> writes = new ArrayList<>(content.pending());
        writes.add(session.executeAsync(bindEntry(entry.writer(), entry, Math.toIntExact(content.size()),
            content.chunks())));
        ChunkWriter.awaitAll(writes, what);
    }

    /** The row and the content in one request (two partitions: each delete is applied on its own). */
    @Override
    public void clear(IntakeKey key) {
        run(BatchStatement.newInstance(BatchType.UNLOGGED, byEntry(deleteEntry, key.writer(), key.mailName()),
                deleteChunks.bind().setString("mail_name", key.mailName())),
            "clear the journal entry of " + key.mailName());
    }

    @Override
    public void register(String writer) {
        run(register.bind().setString("writer", writer).setInstant("seen_at", clock.instant()),
            "register " + writer + " as a journal writer");
    }

    @Override
    public Set<String> writers() {
        Set<String> writers = new HashSet<>();
        for (Row row : run(selectWriters.bind(), "list the journal's writers")) {
            writers.add(row.getString("writer"));
        }
        return writers;
    }

    @Override
    public List<IntakeEntry> entries(String writer) {
        List<CompletionStage<AsyncResultSet>> slots = new ArrayList<>();
        for (int slot = 0; slot < SLOTS; slot++) {
            slots.add(session.executeAsync(selectEntries.bind().setString("writer", writer).setInt("slot", slot)));
        }
        List<IntakeEntry> entries = new ArrayList<>();
        String what = "read the journal of " + writer;
        for (CompletionStage<AsyncResultSet> slot : slots) {
            AsyncResultSet page = ChunkWriter.await(slot, what);
            while (true) {
                for (Row row : page.currentPage()) {
                    entries.add(entry(writer, row));
                }
                if (!page.hasMorePages()) {
                    break;
                }
                page = ChunkWriter.await(page.fetchNextPage(), what);
            }
        }
        return entries;
    }

    private IntakeEntry entry(String writer, Row row) {
        String name = row.getString("mail_name");
        return new IntakeEntry(writer, name, row.getInstant("received_at"), bytes(row.getByteBuffer("envelope")),
            new JournaledContent(name, row.getInt("size")));
    }

    /** The slot of a mail's entry: its partition among its writer's {@link #SLOTS}. */
    public static int slotOf(String mailName) {
        return Math.floorMod(mailName.hashCode(), SLOTS);
    }

    /** An entry's content read from its chunks as it is consumed, a few chunks per page. */
    private final class JournaledContent implements MessageContent {
        private final String mailName;
        private final long size;

        JournaledContent(String mailName, long size) {
            this.mailName = mailName;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public InputStream open() {
            Iterator<Row> rows = run(selectChunks.bind().setString("mail_name", mailName).setPageSize(CHUNKS_PER_PAGE),
                "read the journaled content of " + mailName).iterator();
            return new SequenceInputStream(new Enumeration<InputStream>() {
                @Override
                public boolean hasMoreElements() {
                    return rows.hasNext();
                }

                @Override
                public InputStream nextElement() {
                    return new ByteArrayInputStream(bytes(rows.next().getByteBuffer("data")));
                }
            });
        }
    }

    @Override
    public boolean claim(String writer, String claimant, Duration ttl) {
        ResultSet result = run(claim.bind().setString("writer", writer).setString("claimant", claimant)
                .setInt("ttl_seconds", (int) Math.max(1, ttl.getSeconds())),
            "claim the journal of " + writer);
        // a claim this node made in an earlier pass that stopped half-way is still its own
        return result.wasApplied() || claimant.equals(result.one().getString("claimant"));
    }

    @Override
    public void adopt(IntakeEntry entry, String newWriter) {
        run(bindEntry(newWriter, entry, Math.toIntExact(entry.size()),
            (int) Math.max(1, (entry.size() + CHUNK_SIZE - 1) / CHUNK_SIZE)), "adopt " + entry.mailName());
        run(byEntry(deleteEntry, entry.writer(), entry.mailName()), "adopt " + entry.mailName());
    }

    @Override
    public void forget(String writer, String claimant) {
        run(unregister.bind().setString("writer", writer), "forget the journal writer " + writer);
        run(release.bind().setString("writer", writer).setString("claimant", claimant),
            "release the journal of " + writer);
    }

    /** The journal row of {@code entry}, in {@code writer}'s partitions. */
    private BoundStatement bindEntry(String writer, IntakeEntry entry, int size, int chunks) {
        return insertEntry.boundStatementBuilder()
            .setString("writer", writer)
            .setInt("slot", slotOf(entry.mailName()))
            .setString("mail_name", entry.mailName())
            .setInstant("received_at", entry.receivedAt())
            .setByteBuffer("envelope", ByteBuffer.wrap(entry.envelope()))
            .setInt("size", size)
            .setInt("chunk_count", chunks)
            .build();
    }

    /** A statement on the entry of {@code mailName} in {@code writer}'s partitions. */
    private static BoundStatement byEntry(PreparedStatement statement, String writer, String mailName) {
        return statement.bind().setString("writer", writer).setInt("slot", slotOf(mailName))
            .setString("mail_name", mailName);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return new byte[0];
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
