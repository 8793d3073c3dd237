package org.dispatchmail.mailets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.intake.IntakeJournal;
import org.dispatchmail.core.intake.IntakeKey;

/** The intake journal of one node, in memory; {@code unavailable} makes it fail as Cassandra away would. */
final class MemoryIntakeJournal implements IntakeJournal {
    final Map<IntakeKey, IntakeEntry> entries = new LinkedHashMap<>();
    boolean unavailable;

    private void check() {
        if (unavailable) {
            throw new CassandraUnavailableException("no node available", new IllegalStateException("timed out"));
        }
    }

    @Override
    public synchronized void record(IntakeEntry entry) {
        check();
        entries.put(entry.key(), entry);
    }

    @Override
    public synchronized void clear(IntakeKey key) {
        check();
        entries.remove(key);
    }

    @Override
    public void register(String writer) {
        check();
    }

    @Override
    public Set<String> writers() {
        throw new UnsupportedOperationException("no takeover in these tests");
    }

    @Override
    public List<IntakeEntry> entries(String writer) {
        return new ArrayList<>(entries.values());
    }

    @Override
    public boolean claim(String writer, String claimant, Duration ttl) {
        throw new UnsupportedOperationException("no takeover in these tests");
    }

    @Override
    public void adopt(IntakeEntry entry, String newWriter) {
        throw new UnsupportedOperationException("no takeover in these tests");
    }

    @Override
    public void forget(String writer, String claimant) {
        throw new UnsupportedOperationException("no takeover in these tests");
    }
}
