package org.dispatchmail.core.intake;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the accepted mail of nodes that died back to this node's mail processing, and finishes the
 * journal clean-ups that failed while Cassandra was away. One pass at a time, from one thread.
 *
 * <p>A writer is taken over only when it is not in the heartbeat table ({@code nodes}) any more; one live
 * node at a time holds it (a claim that runs out). Each entry is first moved to this node (so that if
 * this node dies too, the next one finds it), then processed again under its original name: the queue
 * recognises a mail name it has seen, so mail already queued is not queued twice. A node restarted
 * under the same id (node.id set) processes again, once, its own entries from before it started.
 */
public final class IntakeRecovery {
    private static final Logger LOGGER = LoggerFactory.getLogger(IntakeRecovery.class);

    /** Puts a recovered mail back into this node's mail processing. */
    public interface Reinjector {
        void reinject(IntakeEntry entry) throws Exception;
    }

    private final IntakeJournal journal;
    private final Supplier<Set<String>> liveNodes;
    private final String self;
    private final Reinjector reinjector;
    private final Duration claimTime;
    private final Instant startedAt;
    private final Queue<IntakeKey> pendingClears = new ConcurrentLinkedQueue<>();
    private boolean ownLeftoversDone;

    /** @param startedAt when this node started: its own entries from before are a previous run's */
    public IntakeRecovery(IntakeJournal journal, Supplier<Set<String>> liveNodes, String self, Reinjector reinjector,
                          Duration claimTime, Instant startedAt) {
        this.journal = journal;
        this.liveNodes = liveNodes;
        this.self = self;
        this.reinjector = reinjector;
        this.claimTime = claimTime;
        this.startedAt = startedAt;
    }

    /** The writers to take over: those with entries that are neither this node nor alive. */
    static Set<String> orphans(Set<String> writers, Set<String> live, String self) {
        Set<String> orphans = new TreeSet<>(writers);
        orphans.remove(self);
        orphans.removeAll(live);
        return orphans;
    }

    /** Remembers an entry whose clean-up failed; the next pass removes it. */
    public void clearLater(IntakeKey key) {
        pendingClears.add(key);
    }

    public int pendingClears() {
        return pendingClears.size();
    }

    /** One pass: the clean-ups owed, then the mail of dead writers. Returns the number of mails re-injected. */
    public int runOnce() {
        journal.register(self);
        retryClears();
        Set<String> live = liveNodes.get();
        if (live.isEmpty()) {
            // not even this node's heartbeat: the table cannot be trusted yet
            return 0;
        }
        int reinjected = 0;
        if (!ownLeftoversDone) {
            for (IntakeEntry entry : journal.entries(self)) {
                if (entry.receivedAt().isBefore(startedAt) && reinject(entry, "a previous run of this node")) {
                    reinjected++;
                }
            }
            ownLeftoversDone = true;
        }
        for (String writer : orphans(journal.writers(), live, self)) {
            if (!journal.claim(writer, self, claimTime)) {
                continue;
            }
            List<IntakeEntry> entries = journal.entries(writer);
            for (IntakeEntry entry : entries) {
                journal.adopt(entry, self);
                if (reinject(entry.adoptedBy(self), writer + ", which stopped")) {
                    reinjected++;
                }
            }
            journal.forget(writer, self);
        }
        return reinjected;
    }

    private boolean reinject(IntakeEntry entry, String acceptedBy) {
        try {
            reinjector.reinject(entry);
            LOGGER.info("re-injected mail={} accepted by {} at {} ({} bytes)", entry.mailName(), acceptedBy,
                entry.receivedAt(), entry.size());
            return true;
        } catch (Exception e) {
            // still journaled under this node: retried if this node dies, logged for the admin
            LOGGER.error("could not re-inject mail={} accepted by {}: {}", entry.mailName(), acceptedBy,
                e.getMessage(), e);
            return false;
        }
    }

    private void retryClears() {
        int owed = pendingClears.size();
        for (int i = 0; i < owed; i++) {
            IntakeKey clear = pendingClears.poll();
            if (clear == null) {
                return;
            }
            try {
                journal.clear(clear);
            } catch (CassandraUnavailableException e) {
                pendingClears.add(clear);
                return;
            }
        }
    }
}
