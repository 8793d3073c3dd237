package org.dispatchmail.core.queue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

import org.dispatchmail.core.cassandra.CassandraCalls;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.cassandra.ChunkWriter;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.dsn.DsnAction;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * The queue in Cassandra. The session's default consistency (cassandra.consistency) applies to
 * every statement, so a method that returns has had its writes acknowledged at that level.
 */
public final class CassandraQueueStore implements QueueStore {
    static final int CHUNK_SIZE = 256 * 1024;
    /** Chunk writes of one message in flight at once: its memory while it is stored. */
    static final int CHUNKS_IN_FLIGHT = 4;
    /** Attempt rows per batch: each is its own partition, so a batch stays small. */
    private static final int HISTORY_BATCH = 8;

    private final CqlSession session;
    private final Clock clock;
    private final ChunkWriter chunkWriter;
    private final int shards;
    private final Duration bucketSize;
    private final int ttlSeconds;

    private final PreparedStatement insertChunk;
    private final PreparedStatement insertNewMessage;
    private final PreparedStatement insertRecipient;
    private final PreparedStatement insertNewRecipient;
    private final PreparedStatement insertDue;
    private final PreparedStatement insertActive;
    private final PreparedStatement selectDue;
    private final PreparedStatement deleteDue;
    private final PreparedStatement selectCursor;
    private final PreparedStatement updateCursor;
    private final PreparedStatement selectRecipient;
    private final PreparedStatement selectRecipients;
    private final PreparedStatement selectAnyRecipient;
    private final PreparedStatement claimRecipient;
    private final PreparedStatement renewClaim;
    private final PreparedStatement completeRecipient;
    private final PreparedStatement updateRecipient;
    private final PreparedStatement clearReportOwed;
    private final PreparedStatement insertAttempt;
    private final PreparedStatement selectAttempts;
    private final PreparedStatement selectMessage;
    private final PreparedStatement selectChunk;
    private final PreparedStatement deleteChunks;
    private final PreparedStatement deleteActive;
    private final PreparedStatement deleteMessage;
    private final PreparedStatement deleteRecipients;
    private final PreparedStatement deleteAttempts;
    private final PreparedStatement selectActive;

    /**
     * @param retention how long every row lives: a message's state and history disappear by themselves
     *                  this long after they were last written (the lifetime plus the history kept after it)
     * @param clock     the time written as a row's {@code updated_at}
     */
    public CassandraQueueStore(CqlSession session, String keyspace, int shards, Duration bucketSize,
                               Duration retention, Clock clock) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1");
        }
        this.session = session;
        this.clock = clock;
        this.chunkWriter = new ChunkWriter(session, CHUNK_SIZE, CHUNKS_IN_FLIGHT);
        this.shards = shards;
        this.bucketSize = bucketSize;
        this.ttlSeconds = Math.toIntExact(Math.min(retention.getSeconds(), 630_720_000L));
        String ks = keyspace + ".";
        String ttl = " USING TTL " + ttlSeconds;
        insertChunk = session.prepare("INSERT INTO " + ks + "message_chunks (message_id, chunk, data)"
            + " VALUES (:message_id, :chunk, :data)" + ttl);
        String messageColumns = "INSERT INTO " + ks + "messages (message_id, mail_name, sender, size,"
            + " chunk_count, recipient_count, created_at, shard, ret, envid) VALUES (:message_id, :mail_name, :sender,"
            + " :size, :chunk_count, :recipient_count, :created_at, :shard, :ret, :envid)";
        insertNewMessage = session.prepare(messageColumns + ttl);
        String recipientColumns = "INSERT INTO " + ks + "recipients (message_id, recipient, state, attempts,"
            + " next_attempt_at, updated_at, notify, orcpt, greylist_attempts, delay_warnings)"
            + " VALUES (:message_id, :recipient, :state, 0, :next_attempt_at, :updated_at, :notify, :orcpt, 0, 0)";
        insertRecipient = session.prepare(recipientColumns + " IF NOT EXISTS" + ttl);
        insertNewRecipient = session.prepare(recipientColumns + ttl);
        insertDue = session.prepare("INSERT INTO " + ks + "due (shard, bucket, due_at, message_id, recipient)"
            + " VALUES (:shard, :bucket, :due_at, :message_id, :recipient)" + ttl);
        insertActive = session.prepare("INSERT INTO " + ks + "active_messages (shard, day, message_id, created_at)"
            + " VALUES (:shard, :day, :message_id, :created_at)" + ttl);
        selectDue = session.prepare("SELECT due_at, message_id, recipient FROM " + ks + "due"
            + " WHERE shard = :shard AND bucket = :bucket AND due_at <= :up_to LIMIT :max_entries");
        deleteDue = session.prepare("DELETE FROM " + ks + "due WHERE shard = :shard AND bucket = :bucket"
            + " AND due_at = :due_at AND message_id = :message_id AND recipient = :recipient");
        selectCursor = session.prepare("SELECT bucket FROM " + ks + "due_cursors WHERE shard = :shard");
        updateCursor = session.prepare("UPDATE " + ks + "due_cursors SET bucket = :bucket WHERE shard = :shard");
        String oneRecipient = " WHERE message_id = :message_id AND recipient = :recipient";
        selectRecipient = session.prepare("SELECT * FROM " + ks + "recipients" + oneRecipient);
        selectRecipients = session.prepare("SELECT * FROM " + ks + "recipients WHERE message_id = :message_id");
        selectAnyRecipient = session.prepare("SELECT recipient FROM " + ks + "recipients"
            + " WHERE message_id = :message_id LIMIT 1");
        // The condition names the values the caller saw ("seen_..."), apart from the ones the claim sets.
        claimRecipient = session.prepare("UPDATE " + ks + "recipients" + ttl + " SET state = :state,"
            + " claimed_by = :claimed_by, claim_until = :claim_until, claim_token = :claim_token,"
            + " updated_at = :updated_at" + oneRecipient
            + " IF state = :seen_state AND claimed_by = :seen_claimed_by AND claim_until = :seen_claim_until"
            + " AND claim_token = :seen_claim_token");
        renewClaim = session.prepare("UPDATE " + ks + "recipients" + ttl + " SET claim_until = :claim_until,"
            + " updated_at = :updated_at" + oneRecipient
            + " IF claimed_by = :claimed_by AND claim_token = :claim_token");
        String setAll = " SET state = :state, attempts = :attempts, next_attempt_at = :next_attempt_at,"
            + " claimed_by = null, claim_until = null, claim_token = null, last_result = :last_result,"
            + " greylist_attempts = :greylist_attempts, first_greylisted_at = :first_greylisted_at,"
            + " last_greylisted_at = :last_greylisted_at, delay_warnings = :delay_warnings,"
            + " report_owed = :report_owed, updated_at = :updated_at" + oneRecipient;
        // The node and the claim's token: a node that claimed the recipient again since holds a new token.
        completeRecipient = session.prepare("UPDATE " + ks + "recipients" + ttl + setAll
            + " IF claimed_by = :claimed_by AND claim_token = :claim_token");
        // The attempt count too: an attempt made since the caller read the row (claimed, tried and written
        // back to the same state) makes the caller's view stale.
        updateRecipient = session.prepare("UPDATE " + ks + "recipients" + ttl + setAll
            + " IF state = :seen_state AND claimed_by = null AND attempts = :seen_attempts");
        clearReportOwed = session.prepare("UPDATE " + ks + "recipients SET report_owed = null" + oneRecipient);
        insertAttempt = session.prepare("INSERT INTO " + ks + "attempts (message_id, recipient, attempted_at, node,"
            + " host, address, stage, reply_code, enhanced_code, reply_text, decision, next_attempt_at, tls)"
            + " VALUES (:message_id, :recipient, :attempted_at, :node, :host, :address, :stage, :reply_code,"
            + " :enhanced_code, :reply_text, :decision, :next_attempt_at, :tls)" + ttl);
        selectAttempts = session.prepare("SELECT * FROM " + ks + "attempts" + oneRecipient);
        selectMessage = session.prepare("SELECT * FROM " + ks + "messages WHERE message_id = :message_id");
        selectChunk = session.prepare("SELECT data FROM " + ks + "message_chunks"
            + " WHERE message_id = :message_id AND chunk = :chunk");
        deleteChunks = session.prepare("DELETE FROM " + ks + "message_chunks WHERE message_id = :message_id");
        deleteActive = session.prepare("DELETE FROM " + ks + "active_messages WHERE shard = :shard AND day = :day"
            + " AND message_id = :message_id");
        deleteMessage = session.prepare("DELETE FROM " + ks + "messages WHERE message_id = :message_id");
        deleteRecipients = session.prepare("DELETE FROM " + ks + "recipients WHERE message_id = :message_id");
        deleteAttempts = session.prepare("DELETE FROM " + ks + "attempts" + oneRecipient);
        selectActive = session.prepare("SELECT message_id FROM " + ks + "active_messages"
            + " WHERE shard = :shard AND day = :day");
    }

    /** The same mail name always maps to the same queue id: a repeated hand-over is one message. */
    public static UUID messageId(String mailName) {
        return UUID.nameUUIDFromBytes(("dispatch-mail:" + mailName).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A new message takes plain writes only: the content first (so that nothing points at a recipient before
     * its content is there), then its message row, its listing, its index entries and its recipients' rows
     * in one request. A mail name seen before (a hand-over repeated after a failure) takes the careful path
     * instead: it keeps the first arrival time and the first complete content, and never resets a recipient.
     * A failed request may have written part of a batch, and the caller's mail then comes back as such a
     * repeat (from James's error processor or the intake journal), which writes what is missing.
     */
    @Override
    public UUID enqueue(NewMessage message, Instant now) {
        long started = System.nanoTime();
        UUID id = messageId(message.name());
        Row first = run(byMessage(selectMessage, id), "look up " + message.name()).one();
        if (first != null) {
            return enqueueAgain(id, message, now, first, started);
        }
        int shard = shardOf(id);
        ChunkWriter.Written content = writeChunks(id, message);
        awaitAll(content.pending(), "store the content of " + message.name());
        // Small rows of several tables in one request (the chunks, up to 256 KiB each, go on their own).
        BatchStatementBuilder rows = BatchStatement.builder(BatchType.UNLOGGED)
            .addStatement(bindMessage(insertNewMessage, id, message, content, now))
            .addStatement(bindActive(insertActive, shard, epochDay(now), id).setInstant("created_at", now));
        addIndexEntries(rows, id, message.recipients(), now, afterContent(now, started));
        addRecipientRows(rows, insertNewRecipient, id, message, now);
        run(rows.build(), "store " + message.name());
        return id;
    }

    /**
     * The first content stands whole. Once a hand-over wrote its recipients (the last step, after its content
     * and message row were acknowledged), that content is complete and may be in delivery: a repeat, even with
     * other bytes (re-signed, say), writes no chunk, so the message row's size and chunk count always match
     * the chunks. A hand-over that died before its recipients left no delivery behind: the repeat writes its
     * own content whole and a message row that matches it, keeping the first arrival time.
     */
    private UUID enqueueAgain(UUID id, NewMessage message, Instant now, Row first, long started) {
        int shard = shardOf(id);
        Instant createdAt = first.getInstant("created_at");
        if (run(byMessage(selectAnyRecipient, id), "look up the recipients of " + message.name()).one() == null) {
            ChunkWriter.Written content = writeChunks(id, message);
            awaitAll(content.pending(), "store the content of " + message.name());
            // A plain write: the first arrival time is kept by binding it, so the lifetime is not extended.
            run(bindMessage(insertNewMessage, id, message, content, createdAt), "store " + message.name());
        }
        run(bindActive(insertActive, shard, epochDay(createdAt), id).setInstant("created_at", createdAt),
            "list " + message.name() + " as active");
        // The index first, then the state rows: a hand-over that dies in between leaves entries that
        // point at nothing (skipped), never state rows that nothing points at (lost).
        BatchStatementBuilder index = BatchStatement.builder(BatchType.UNLOGGED);
        addIndexEntries(index, id, message.recipients(), now, afterContent(now, started));
        run(index.build(), "index " + message.name());
        // Conditional and single-partition: a repeated hand-over never resets a recipient already handled.
        BatchStatementBuilder rows = BatchStatement.builder(BatchType.UNLOGGED);
        addRecipientRows(rows, insertRecipient, id, message, now);
        run(rows.build(), "store the recipients of " + message.name());
        return id;
    }

    /** {@code now} moved on by the time the content took to write (a large message takes seconds). */
    private static Instant afterContent(Instant now, long startedNanos) {
        return now.plusNanos(System.nanoTime() - startedNanos);
    }

    /** Streams the content into chunks; the last writes come back unawaited. */
    private ChunkWriter.Written writeChunks(UUID id, NewMessage message) {
        String what = "store the content of " + message.name();
        try (InputStream in = message.content().open()) {
            return chunkWriter.write(in, (chunk, data) -> byMessage(insertChunk, id).setInt("chunk", chunk)
                .setByteBuffer("data", data), what);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the content to " + what + ": " + e.getMessage(), e);
        }
    }

    private BoundStatement bindMessage(PreparedStatement insert, UUID id, NewMessage message,
                                       ChunkWriter.Written content, Instant now) {
        return insert.boundStatementBuilder()
            .setUuid("message_id", id)
            .setString("mail_name", message.name())
            .setString("sender", message.sender())
            .setLong("size", content.size())
            .setInt("chunk_count", content.chunks())
            .setInt("recipient_count", message.recipients().size())
            .setInstant("created_at", now)
            .setInt("shard", shardOf(id))
            .setString("ret", message.messageDsn().ret().map(Enum::name).orElse(null))
            .setString("envid", message.messageDsn().envelopeId().orElse(null))
            .build();
    }

    /**
     * Index entries of one message due at {@code at}, all in one partition: the bucket of {@code written}, the
     * time they are written, which a worker has not passed yet (it may have passed the bucket of {@code at}
     * while a large content was being written).
     */
    private void addIndexEntries(BatchStatementBuilder batch, UUID id, List<String> recipients, Instant at,
                                 Instant written) {
        for (String recipient : recipients) {
            batch.addStatement(bindDue(insertDue, shardOf(id), bucketOf(written), at, id, recipient));
        }
    }

    /** The rows of the message's recipients, all in one partition. */
    private static void addRecipientRows(BatchStatementBuilder rows, PreparedStatement insert, UUID id,
                                         NewMessage message, Instant now) {
        for (int i = 0; i < message.recipients().size(); i++) {
            RecipientDsn dsn = message.recipientDsn(i);
            rows.addStatement(byRecipient(insert, id, message.recipients().get(i))
                .setString("state", RecipientState.PENDING.name())
                .setInstant("next_attempt_at", now)
                .setInstant("updated_at", now)
                .setString("notify", dsn.notifyText().isEmpty() ? null : dsn.notifyText())
                .setString("orcpt", dsn.originalRecipient().orElse(null)));
        }
    }

    @Override
    public int shards() {
        return shards;
    }

    @Override
    public int shardOf(UUID id) {
        return Math.floorMod(id.hashCode(), shards);
    }

    @Override
    public long bucketOf(Instant t) {
        return Math.floorDiv(t.toEpochMilli(), bucketSize.toMillis());
    }

    @Override
    public Optional<Long> cursor(int shard) {
        Row row = run(selectCursor.bind().setInt("shard", shard), "read the cursor of shard " + shard).one();
        return row == null || row.isNull("bucket") ? Optional.empty() : Optional.of(row.getLong("bucket"));
    }

    @Override
    public void advanceCursor(int shard, long bucket) {
        run(updateCursor.bind().setLong("bucket", bucket).setInt("shard", shard), "move the cursor of shard " + shard);
    }

    @Override
    public List<DueEntry> dueEntries(int shard, long bucket, Instant upTo, int limit) {
        List<DueEntry> entries = new ArrayList<>();
        for (Row row : run(selectDue.bind().setInt("shard", shard).setLong("bucket", bucket)
            .setInstant("up_to", upTo).setInt("max_entries", limit), "read due work")) {
            entries.add(new DueEntry(shard, bucket, row.getInstant("due_at"), row.getUuid("message_id"),
                row.getString("recipient")));
        }
        return entries;
    }

    @Override
    public void removeDue(DueEntry entry) {
        run(bindDue(deleteDue, entry),
            "remove due entry " + entry);
    }

    @Override
    public void removeDue(List<DueEntry> entries) {
        // One batch per partition (shard and bucket): usually a single one.
        Map<List<Long>, BatchStatementBuilder> byBucket = new LinkedHashMap<>();
        for (DueEntry entry : entries) {
            byBucket.computeIfAbsent(List.of((long) entry.shard(), entry.bucket()),
                key -> BatchStatement.builder(BatchType.UNLOGGED))
                .addStatement(bindDue(deleteDue, entry));
        }
        List<CompletionStage<AsyncResultSet>> deletes = new ArrayList<>();
        for (BatchStatementBuilder batch : byBucket.values()) {
            deletes.add(session.executeAsync(batch.build()));
        }
        awaitAll(deletes, "remove " + entries.size() + " due entries");
    }

    @Override
    public Optional<RecipientRecord> recipient(UUID messageId, String recipient) {
        Row row = run(byRecipient(selectRecipient, messageId, recipient), "read recipient").one();
        return Optional.ofNullable(row).map(CassandraQueueStore::toRecord);
    }

    @Override
    public List<RecipientRecord> recipients(UUID messageId) {
        List<RecipientRecord> records = new ArrayList<>();
        for (Row row : run(byMessage(selectRecipients, messageId), "read recipients")) {
            records.add(toRecord(row));
        }
        return records;
    }

    /**
     * The recipients of one message share a partition, so their claims are one conditional batch: one
     * Paxos round for the message. When any of them changed meanwhile the batch applies nothing, and each
     * is claimed on its own.
     */
    @Override
    public List<RecipientRecord> claim(List<RecipientRecord> seen, String node, Instant claimUntil,
                                       Instant lookAgainAt) {
        if (seen.isEmpty()) {
            return List.of();
        }
        UUID messageId = seen.get(0).messageId();
        BatchStatementBuilder index = BatchStatement.builder(BatchType.UNLOGGED);
        List<String> recipients = new ArrayList<>();
        seen.forEach(record -> recipients.add(record.recipient()));
        addIndexEntries(index, messageId, recipients, lookAgainAt, lookAgainAt);
        run(index.build(), "index the recipients of " + messageId);
        Instant now = clock.instant();
        UUID token = UUID.randomUUID();
        if (seen.size() > 1) {
            BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
            seen.forEach(record -> batch.addStatement(bindClaim(record, node, claimUntil, token, now)));
            if (run(batch.build(), "claim the recipients of " + seen.get(0).messageId()).wasApplied()) {
                return claimed(seen, node, claimUntil, token);
            }
        }
        List<RecipientRecord> taken = new ArrayList<>();
        for (RecipientRecord record : seen) {
            if (run(bindClaim(record, node, claimUntil, token, now), "claim " + record.recipient()).wasApplied()) {
                taken.add(record);
            }
        }
        return claimed(taken, node, claimUntil, token);
    }

    private BoundStatement bindClaim(RecipientRecord seen, String node, Instant claimUntil, UUID token, Instant now) {
        return claimRecipient.boundStatementBuilder()
            .setString("state", RecipientState.IN_FLIGHT.name())
            .setString("claimed_by", node)
            .setInstant("claim_until", claimUntil)
            .setUuid("claim_token", token)
            .setInstant("updated_at", now)
            .setUuid("message_id", seen.messageId())
            .setString("recipient", seen.recipient())
            .setString("seen_state", seen.state().name())
            .setString("seen_claimed_by", seen.claimedBy().orElse(null))
            .setInstant("seen_claim_until", seen.claimUntil().orElse(null))
            .setUuid("seen_claim_token", seen.claimToken().orElse(null))
            .build();
    }

    /** The records as the claim wrote them. */
    static List<RecipientRecord> claimed(List<RecipientRecord> taken, String node, Instant claimUntil, UUID token) {
        List<RecipientRecord> claimed = new ArrayList<>();
        for (RecipientRecord record : taken) {
            claimed.add(record.toBuilder().state(RecipientState.IN_FLIGHT).claimedBy(Optional.of(node))
                .claimUntil(Optional.of(claimUntil)).claimToken(Optional.of(token)).build());
        }
        return claimed;
    }

    /**
     * Index entries at the new end first (so a node that dies after renewing is still found), then one
     * conditional batch for the message; one by one only when it applied nothing.
     */
    @Override
    public List<String> renew(List<RecipientRecord> claimed, Instant claimUntil) {
        if (claimed.isEmpty()) {
            return List.of();
        }
        UUID messageId = claimed.get(0).messageId();
        BatchStatementBuilder index = BatchStatement.builder(BatchType.UNLOGGED);
        List<String> recipients = new ArrayList<>();
        claimed.forEach(record -> recipients.add(record.recipient()));
        addIndexEntries(index, messageId, recipients, claimUntil, claimUntil);
        run(index.build(), "index the recipients of " + messageId);
        Instant now = clock.instant();
        if (claimed.size() > 1) {
            BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
            claimed.forEach(record -> batch.addStatement(bindRenew(record, claimUntil, now)));
            if (run(batch.build(), "renew the claims of " + messageId).wasApplied()) {
                return List.of();
            }
        }
        List<String> lost = new ArrayList<>();
        for (RecipientRecord record : claimed) {
            if (!run(bindRenew(record, claimUntil, now), "renew the claim of " + record.recipient()).wasApplied()) {
                lost.add(record.recipient());
            }
        }
        return lost;
    }

    private BoundStatement bindRenew(RecipientRecord claimed, Instant claimUntil, Instant now) {
        return renewClaim.boundStatementBuilder()
            .setInstant("claim_until", claimUntil)
            .setInstant("updated_at", now)
            .setUuid("message_id", claimed.messageId())
            .setString("recipient", claimed.recipient())
            .setString("claimed_by", claimed.claimedBy().orElse(null))
            .setUuid("claim_token", claimed.claimToken().orElse(null))
            .build();
    }

    /**
     * The history rows and index entries in parallel, then the state rows as one conditional batch (one
     * Paxos round for the message), or one by one when some claim was lost and the batch applied nothing.
     */
    @Override
    public List<String> complete(List<AttemptRecord> attempts, List<RecipientRecord> updated) {
        if (attempts.isEmpty()) {
            return List.of();
        }
        // The history rows in batches of a few (each row its own partition), the index entries beside them.
        List<CompletionStage<AsyncResultSet>> writes = new ArrayList<>();
        BatchStatementBuilder history = BatchStatement.builder(BatchType.UNLOGGED);
        for (int i = 0; i < attempts.size(); i++) {
            AttemptRecord attempt = attempts.get(i);
            RecipientOutcome outcome = attempt.outcome();
            SmtpReply reply = outcome.reply();
            history.addStatement(insertAttempt.boundStatementBuilder()
                .setUuid("message_id", attempt.messageId())
                .setString("recipient", attempt.recipient())
                .setInstant("attempted_at", attempt.attemptedAt())
                .setString("node", attempt.node())
                .setString("host", outcome.host())
                .setString("address", outcome.address())
                .setString("stage", outcome.stage())
                .set("reply_code", reply == null ? null : reply.code(), Integer.class)
                .setString("enhanced_code", outcome.enhancedStatus())
                .setString("reply_text", reply == null ? outcome.error() : reply.text())
                .setString("decision", attempt.decision().name())
                .setInstant("next_attempt_at", attempt.nextAttemptAt().orElse(null))
                .setString("tls", attempt.tls().orElse(null))
                .build());
            if (history.getStatementsCount() == HISTORY_BATCH || i == attempts.size() - 1) {
                writes.add(session.executeAsync(history.build()));
                history = BatchStatement.builder(BatchType.UNLOGGED);
            }
            RecipientRecord next = updated.get(i);
            if (!next.state().isFinal()) {
                writes.add(indexAsync(next.messageId(), next.recipient(), next.nextAttemptAt()));
            }
        }
        awaitAll(writes, "record the attempts of " + attempts.get(0).messageId());
        if (attempts.size() > 1) {
            BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
            for (int i = 0; i < attempts.size(); i++) {
                batch.addStatement(bindComplete(attempts.get(i), updated.get(i)));
            }
            if (run(batch.build(), "update the recipients of " + attempts.get(0).messageId()).wasApplied()) {
                return List.of();
            }
        }
        List<String> lost = new ArrayList<>();
        for (int i = 0; i < attempts.size(); i++) {
            RecipientRecord next = updated.get(i);
            if (!run(bindComplete(attempts.get(i), next), "update " + next.recipient()).wasApplied()) {
                lost.add(next.recipient());
            }
        }
        return lost;
    }

    @Override
    public boolean update(RecipientRecord seen, RecipientRecord updated) {
        if (updated.state().isWaiting()) {
            indexAt(updated.messageId(), updated.recipient(), updated.nextAttemptAt());
        }
        ResultSet result = run(bindSetAll(updateRecipient, updated).setString("seen_state", seen.state().name())
            .setInt("seen_attempts", seen.attempts()).build(),
            "update " + seen.recipient());
        return result.wasApplied();
    }

    /** The new state of a recipient this node attempted, written only while the attempt's claim holds. */
    private BoundStatement bindComplete(AttemptRecord attempt, RecipientRecord updated) {
        return bindSetAll(completeRecipient, updated).setString("claimed_by", attempt.node())
            .setUuid("claim_token", attempt.claimToken()).build();
    }

    /** Binds the values of a full state write; the condition's values are the caller's. */
    private BoundStatementBuilder bindSetAll(PreparedStatement statement, RecipientRecord r) {
        return statement.boundStatementBuilder()
            .setString("state", r.state().name())
            .setInt("attempts", r.attempts())
            .setInstant("next_attempt_at", r.nextAttemptAt())
            .setString("last_result", r.lastResult().orElse(null))
            .setInt("greylist_attempts", r.greylistAttempts())
            .setInstant("first_greylisted_at", r.firstGreylistedAt().orElse(null))
            .setInstant("last_greylisted_at", r.lastGreylistedAt().orElse(null))
            .setInt("delay_warnings", r.delayWarningsSent())
            .setString("report_owed", r.reportOwed().map(Enum::name).orElse(null))
            .setInstant("updated_at", clock.instant())
            .setUuid("message_id", r.messageId())
            .setString("recipient", r.recipient());
    }

    /** A statement on one message's rows. */
    private static BoundStatement byMessage(PreparedStatement statement, UUID messageId) {
        return statement.bind().setUuid("message_id", messageId);
    }

    /** A statement on one recipient's rows. */
    private static BoundStatement byRecipient(PreparedStatement statement, UUID messageId, String recipient) {
        return byMessage(statement, messageId).setString("recipient", recipient);
    }

    /** A statement on one due entry. */
    private static BoundStatement bindDue(PreparedStatement statement, int shard, long bucket, Instant dueAt,
                                          UUID messageId, String recipient) {
        return byRecipient(statement, messageId, recipient).setInt("shard", shard).setLong("bucket", bucket)
            .setInstant("due_at", dueAt);
    }

    private static BoundStatement bindDue(PreparedStatement statement, DueEntry entry) {
        return bindDue(statement, entry.shard(), entry.bucket(), entry.dueAt(), entry.messageId(), entry.recipient());
    }

    /** A statement on one message's listing among the active messages of its shard and day. */
    private static BoundStatement bindActive(PreparedStatement statement, int shard, long day, UUID messageId) {
        return byMessage(statement, messageId).setInt("shard", shard).setLong("day", day);
    }

    /** Plain writes (one partition): only the node that sent the reports clears their flags. */
    @Override
    public void reportsSent(UUID messageId, List<String> recipients) {
        if (recipients.isEmpty()) {
            return;
        }
        BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED);
        recipients.forEach(recipient -> batch.addStatement(byRecipient(clearReportOwed, messageId, recipient)));
        run(batch.build(), "note the reports sent for " + messageId);
    }

    @Override
    public List<AttemptHistoryEntry> attempts(UUID messageId, String recipient) {
        List<AttemptHistoryEntry> entries = new ArrayList<>();
        for (Row row : run(byRecipient(selectAttempts, messageId, recipient), "read the attempts of " + recipient)) {
            entries.add(new AttemptHistoryEntry(row.getInstant("attempted_at"), row.getString("node"),
                Optional.ofNullable(row.getString("host")), Optional.ofNullable(row.getString("address")),
                row.getString("stage"), row.isNull("reply_code") ? Optional.empty() : Optional.of(row.getInt("reply_code")),
                Optional.ofNullable(row.getString("enhanced_code")), Optional.ofNullable(row.getString("reply_text")),
                Optional.ofNullable(row.getString("tls")), row.getString("decision"),
                Optional.ofNullable(row.getInstant("next_attempt_at"))));
        }
        return entries;
    }

    @Override
    public void finish(UUID messageId) {
        Row row = run(byMessage(selectMessage, messageId), "read message " + messageId).one();
        if (row == null) {
            run(byMessage(deleteChunks, messageId), "remove the content of " + messageId);
            return;
        }
        finish(messageId, row.getInt("shard"), row.getInstant("created_at"), List.of());
    }

    @Override
    public void finish(StoredMessage message) {
        finish(message.id(), message.shard(), message.createdAt(), List.of());
    }

    /** One request: the content, the listing and the spent index entries go together. */
    @Override
    public void finish(StoredMessage message, List<DueEntry> spent) {
        finish(message.id(), message.shard(), message.createdAt(), spent);
    }

    private void finish(UUID messageId, int shard, Instant createdAt, List<DueEntry> spent) {
        BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED)
            .addStatement(byMessage(deleteChunks, messageId))
            .addStatement(bindActive(deleteActive, shard, epochDay(createdAt), messageId));
        spent.forEach(entry -> batch.addStatement(bindDue(deleteDue, entry)));
        run(batch.build(), "remove the content of " + messageId);
    }

    @Override
    public void delete(UUID messageId) {
        finish(messageId);
        for (RecipientRecord record : recipients(messageId)) {
            run(byRecipient(deleteAttempts, messageId, record.recipient()),
                "remove the history of " + record.recipient());
        }
        // Its due entries now point at nothing: the workers drop them as orphans.
        run(byMessage(deleteRecipients, messageId), "remove the recipients of " + messageId);
        run(byMessage(deleteMessage, messageId), "remove " + messageId);
    }

    @Override
    public List<UUID> activeMessages(int shard, long epochDay) {
        List<UUID> ids = new ArrayList<>();
        for (Row row : run(selectActive.bind().setInt("shard", shard).setLong("day", epochDay),
            "list the active messages of shard " + shard)) {
            ids.add(row.getUuid("message_id"));
        }
        return ids;
    }

    static long epochDay(Instant t) {
        return Math.floorDiv(t.getEpochSecond(), 86_400L);
    }

    @Override
    public Optional<StoredMessage> message(UUID messageId) {
        Row row = run(byMessage(selectMessage, messageId), "read message " + messageId).one();
        if (row == null) {
            return Optional.empty();
        }
        long size = row.getLong("size");
        int chunks = row.getInt("chunk_count");
        MessageContent content = new MessageContent() {
            /** A one-chunk message is read once per delivery, though it is streamed twice (8BITMIME scan, DATA). */
            private byte[] onlyChunk;

            @Override
            public long size() {
                return size;
            }

            @Override
            public synchronized InputStream open() {
                if (chunks != 1) {
                    return new SequenceInputStream(new ChunkEnumeration(messageId, chunks));
                }
                if (onlyChunk == null) {
                    onlyChunk = readChunk(messageId, 0);
                }
                return new ByteArrayInputStream(onlyChunk);
            }
        };
        MessageDsn dsn = new MessageDsn(MessageDsn.parseRet(row.getString("ret")),
            Optional.ofNullable(row.getString("envid")));
        return Optional.of(new StoredMessage(messageId, row.getString("mail_name"), row.getString("sender"),
            row.getInstant("created_at"), dsn, row.getInt("recipient_count"), row.getInt("shard"), content));
    }

    @Override
    public void index(UUID messageId, String recipient, Instant at) {
        indexAt(messageId, recipient, at);
    }

    private CompletionStage<AsyncResultSet> indexAsync(UUID messageId, String recipient, Instant at) {
        return session.executeAsync(bindDue(insertDue, shardOf(messageId), bucketOf(at), at, messageId, recipient));
    }

    private void indexAt(UUID messageId, String recipient, Instant at) {
        run(bindDue(insertDue, shardOf(messageId), bucketOf(at), at, messageId, recipient), "index " + recipient);
    }

    private static RecipientRecord toRecord(Row row) {
        RecipientDsn dsn = new RecipientDsn(RecipientDsn.parseNotify(row.getString("notify")),
            Optional.ofNullable(row.getString("orcpt")));
        return RecipientRecord.builder(row.getUuid("message_id"), row.getString("recipient"),
                RecipientState.valueOf(row.getString("state")), row.getInstant("next_attempt_at"))
            .attempts(row.isNull("attempts") ? 0 : row.getInt("attempts"))
            .claimedBy(Optional.ofNullable(row.getString("claimed_by")))
            .claimUntil(Optional.ofNullable(row.getInstant("claim_until")))
            .claimToken(Optional.ofNullable(row.getUuid("claim_token")))
            .lastResult(Optional.ofNullable(row.getString("last_result")))
            .dsn(dsn)
            .greylistAttempts(row.isNull("greylist_attempts") ? 0 : row.getInt("greylist_attempts"))
            .firstGreylistedAt(Optional.ofNullable(row.getInstant("first_greylisted_at")))
            .lastGreylistedAt(Optional.ofNullable(row.getInstant("last_greylisted_at")))
            .delayWarningsSent(row.isNull("delay_warnings") ? 0 : row.getInt("delay_warnings"))
            .reportOwed(Optional.ofNullable(row.getString("report_owed")).map(DsnAction::valueOf))
            .build();
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }

    private static void awaitAll(List<CompletionStage<AsyncResultSet>> writes, String what) {
        ChunkWriter.awaitAll(writes, what);
    }

    private byte[] readChunk(UUID messageId, int chunk) {
        Row row = run(byMessage(selectChunk, messageId).setInt("chunk", chunk),
            "read chunk " + chunk + " of " + messageId).one();
        if (row == null) {
            throw new CassandraUnavailableException("chunk " + chunk + " of message " + messageId + " is missing", null);
        }
        ByteBuffer data = row.getByteBuffer("data");
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }

    /** Reads chunks one at a time, so a large message is never held in memory whole. */
    private final class ChunkEnumeration implements Enumeration<InputStream> {
        private final UUID messageId;
        private final int chunks;
        private int next;

        ChunkEnumeration(UUID messageId, int chunks) {
            this.messageId = messageId;
            this.chunks = chunks;
        }

        @Override
        public boolean hasMoreElements() {
            return next < chunks;
        }

        @Override
        public InputStream nextElement() {
            if (next >= chunks) {
                throw new NoSuchElementException();
            }
            byte[] bytes = readChunk(messageId, next);
            next++;
            return new ByteArrayInputStream(bytes);
        }
    }
}
