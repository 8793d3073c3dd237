package org.dispatchmail.core.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Statement;

/**
 * Writes a stream to Cassandra as numbered chunks while reading it, with at most a few chunk writes in
 * flight: a message of any size costs a few chunks of memory, never a copy of the whole. The last
 * writes are handed back unawaited, so that a small message's chunk and its row still go in parallel.
 */
public final class ChunkWriter {
    /** Binds the write of one chunk. */
    @FunctionalInterface
    public interface ChunkStatement {
        Statement<?> bind(int chunk, ByteBuffer data);
    }

    /** What was written: the byte count, the chunk count (at least one, empty for an empty stream) and the writes still running. */
    public static final class Written {
        private final long size;
        private final int chunks;
        private final List<CompletionStage<AsyncResultSet>> pending;

        Written(long size, int chunks, List<CompletionStage<AsyncResultSet>> pending) {
            this.size = size;
            this.chunks = chunks;
            this.pending = List.copyOf(pending);
        }

        public long size() {
            return size;
        }

        public int chunks() {
            return chunks;
        }

        /** Writes not yet acknowledged: await them (with the caller's own) before relying on the content. */
        public List<CompletionStage<AsyncResultSet>> pending() {
            return pending;
        }
    }

    private final CqlSession session;
    private final int chunkSize;
    private final int inFlight;

    public ChunkWriter(CqlSession session, int chunkSize, int inFlight) {
        if (chunkSize <= 0 || inFlight <= 0) {
            throw new IllegalArgumentException("chunk size and writes in flight must be positive");
        }
        this.session = session;
        this.chunkSize = chunkSize;
        this.inFlight = inFlight;
    }

    /**
     * Reads {@code content} to its end, writing each chunk as it fills.
     *
     * @throws UncheckedIOException when the content cannot be read
     * @throws CassandraUnavailableException when Cassandra does not acknowledge a chunk
     */
    public Written write(InputStream content, ChunkStatement statement, String what) {
        Deque<CompletionStage<AsyncResultSet>> running = new ArrayDeque<>();
        long size = 0;
        int chunk = 0;
        try {
            while (true) {
                // a fresh array per chunk: the driver may still be sending the previous ones
                byte[] data = content.readNBytes(chunkSize);
                if (data.length == 0 && chunk > 0) {
                    break;
                }
                if (running.size() >= inFlight) {
                    await(running.removeFirst(), what);
                }
                running.addLast(session.executeAsync(statement.bind(chunk, ByteBuffer.wrap(data))));
                size += data.length;
                chunk++;
                if (data.length < chunkSize) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the content to " + what + ": " + e.getMessage(), e);
        }
        return new Written(size, chunk, new ArrayList<>(running));
    }

    /** Waits for every write; the first failure is reported as Cassandra being unavailable. */
    public static void awaitAll(List<CompletionStage<AsyncResultSet>> writes, String what) {
        for (CompletionStage<AsyncResultSet> write : writes) {
            await(write, what);
        }
    }

    /** The result of one request; its failure is reported as Cassandra being unavailable. */
    public static AsyncResultSet await(CompletionStage<AsyncResultSet> write, String what) {
        try {
            return write.toCompletableFuture().get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CassandraUnavailableException("interrupted while waiting to " + what, e);
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + e.getMessage(), e);
        }
    }
}
