package org.dispatchmail.core.intake;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;

/** The journal in memory, for the decisions' tests; {@link #down} makes every call fail as Cassandra would. */
final class InMemoryIntakeJournal implements IntakeJournal {
    final Map<String, Map<String, IntakeEntry>> byWriter = new TreeMap<>();
    final Map<String, String> claims = new HashMap<>();
    final Set<String> registered = new TreeSet<>();
    boolean down;

    @Override
    public synchronized void record(IntakeEntry entry) {
        check();
        byWriter.computeIfAbsent(entry.writer(), w -> new TreeMap<>()).put(entry.mailName(), entry);
        registered.add(entry.writer());
    }

    @Override
    public synchronized void clear(IntakeKey key) {
        check();
        Map<String, IntakeEntry> entries = byWriter.get(key.writer());
        if (entries != null) {
            entries.remove(key.mailName());
        }
    }

    @Override
    public synchronized void register(String writer) {
        check();
        registered.add(writer);
    }

    @Override
    public synchronized Set<String> writers() {
        check();
        return new TreeSet<>(registered);
    }

    @Override
    public synchronized List<IntakeEntry> entries(String writer) {
        check();
        return new ArrayList<>(byWriter.getOrDefault(writer, Map.of()).values());
    }

    @Override
    public synchronized boolean claim(String writer, String claimant, Duration ttl) {
        check();
        return claims.putIfAbsent(writer, claimant) == null || claims.get(writer).equals(claimant);
    }

    @Override
    public synchronized void adopt(IntakeEntry entry, String newWriter) {
        check();
        record(entry.adoptedBy(newWriter));
        clear(entry.key());
    }

    @Override
    public synchronized void forget(String writer, String claimant) {
        check();
        registered.remove(writer);
        claims.remove(writer, claimant);
    }

    synchronized Set<String> names(String writer) {
        return new TreeSet<>(byWriter.getOrDefault(writer, Map.of()).keySet());
    }

    private void check() {
        if (down) {
            throw new CassandraUnavailableException("Cassandra is down (test)", null);
        }
    }
}
