package org.dispatchmail.core.intake;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Mail accepted by a listener and not yet out of the mail processing, kept in Cassandra from before
 * the {@code 250} until the mail has a durable home (the queue, a mailbox, a repository) or was dropped.
 * Entries are kept per writer (a node's id, unique per running process), so that the mail of a node
 * that died can be found and processed again by another. Every method throws
 * {@link org.dispatchmail.core.cassandra.CassandraUnavailableException} when Cassandra does not acknowledge.
 */
public interface IntakeJournal {

    /** Stores the entry; returns once it is durable at the configured consistency. */
    void record(IntakeEntry entry);

    /** Removes one entry (a no-op when it is not there). */
    void clear(IntakeKey key);

    /** Lists this writer among those whose entries may need recovery (repeated: it is an upsert). */
    void register(String writer);

    /** Every registered writer, with or without entries. */
    Set<String> writers();

    /** The entries of one writer, content included. */
    List<IntakeEntry> entries(String writer);

    /**
     * Takes the entries of a writer for recovery, for {@code ttl}; false when another node holds them.
     * The claim runs out by itself, so a claimant that dies leaves them to the next one.
     */
    boolean claim(String writer, String claimant, Duration ttl);

    /** Moves an entry to another writer: the new entry first, then the old one goes. The content stays. */
    void adopt(IntakeEntry entry, String newWriter);

    /** Forgets a writer whose entries have all been adopted: its claim and its registration. */
    void forget(String writer, String claimant);
}
