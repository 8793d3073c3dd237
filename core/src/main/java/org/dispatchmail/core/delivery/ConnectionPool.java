package org.dispatchmail.core.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Open SMTP sessions, idle or busy, per server address and port: at most maxConnectionsPerHost at once, idle ones
 * kept for the next message to the same target for connectionIdleTime. No background thread: expired idle
 * sessions are closed when someone next borrows, and by {@link #close()}.
 */
final class ConnectionPool implements AutoCloseable {

    private final DeliverySettings settings;
    private final Clock clock;
    private final ConcurrentHashMap<String, Host> hosts = new ConcurrentHashMap<>();
    private volatile Instant lastSweep;
    private volatile boolean closed;

    ConnectionPool(DeliverySettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.lastSweep = clock.instant();
    }

    /** What borrowing gave: a live idle session, the right to open a new one, or nothing in time. */
    static final class Lease {
        private final SmtpSession session;
        private final boolean granted;

        private Lease(SmtpSession session, boolean granted) {
            this.session = session;
            this.granted = granted;
        }

        /** A reused session (RSET already answered), or null when a new one may be opened. */
        SmtpSession session() {
            return session;
        }

        /** False when the host's connection limit stayed reached for connectionWaitTime. */
        boolean granted() {
            return granted;
        }
    }

    /** The sessions of one address:port, guarded by its lock. */
    private static final class Host {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        // most recently used first
        final ArrayDeque<SmtpSession> idle = new ArrayDeque<>();
        int open;
        int waiting;
    }

    private static String hostKey(SmtpTarget target) {
        return target.address().getHostAddress() + "]:" + target.port();
    }

    /**
     * An idle session for {@code target} (after a successful RSET), else a slot to open a new one, waiting up to
     * connectionWaitTime for one, never past {@code deadline}; a session returned is limited by the deadline. A granted lease without a session holds a slot until its session is released,
     * or until {@link #openFailed}; a session must come back through {@link #release}.
     */
    Lease borrow(SmtpTarget target, TransactionDeadline transaction) {
        sweepIfDue();
        Host host = hosts.computeIfAbsent(hostKey(target), k -> new Host());
        long deadline = System.nanoTime() + transaction.cap(settings.connectionWaitTime()).toNanos();
        String key = target.key();
        while (true) {
            List<SmtpSession> toClose = new ArrayList<>();
            SmtpSession candidate = null;
            boolean mayOpen = false;
            boolean timedOut = false;
            host.lock.lock();
            try {
                while (true) {
                    expire(host, toClose);
                    candidate = takeIdle(host, key);
                    if (candidate != null) {
                        break;
                    }
                    if (host.open < settings.maxConnectionsPerHost()) {
                        host.open++;
                        mayOpen = true;
                        break;
                    }
                    SmtpSession other = host.idle.pollLast();
                    if (other != null) {
                        // an idle session of another target (other TLS policy or login) gives up its slot
                        host.open--;
                        toClose.add(other);
                        continue;
                    }
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        timedOut = true;
                        break;
                    }
                    host.waiting++;
                    try {
                        host.changed.awaitNanos(remaining);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        timedOut = true;
                        break;
                    } finally {
                        host.waiting--;
                    }
                }
            } finally {
                host.lock.unlock();
            }
            closeAll(toClose);
            if (timedOut) {
                return new Lease(null, false);
            }
            if (mayOpen) {
                return new Lease(null, true);
            }
            candidate.connection().limit(transaction);
            if (candidate.reset(settings.commandTimeout())) {
                return new Lease(candidate, true);
            }
            candidate.connection().unlimit();
            // dead while idle (the server timed it out): free its slot and look again
            discard(candidate);
        }
    }

    /** Opening a session under a granted lease failed: its slot is free again. */
    void openFailed(SmtpTarget target) {
        freeSlot(hosts.get(hostKey(target)));
    }

    /**
     * Gives a session back: kept idle when {@code keepIdle} and it can carry another message, else closed (QUIT
     * when appropriate).
     */
    void release(SmtpSession session, boolean keepIdle) {
        Host host = hosts.get(hostKey(session.target()));
        if (keepIdle && !closed && session.reusable() && session.needsReset()) {
            // a transaction that ended early (e.g. every recipient refused): clear it now, not at the next borrow
            session.reset(settings.commandTimeout());
        }
        boolean keep = keepIdle && !closed && session.reusable() && !session.needsReset()
                && session.transactions() < settings.maxMessagesPerConnection();
        if (keep) {
            host.lock.lock();
            try {
                session.idleSince(clock.instant());
                host.idle.addFirst(session);
                host.changed.signal();
            } finally {
                host.lock.unlock();
            }
            return;
        }
        discard(session);
    }

    private void discard(SmtpSession session) {
        session.close(settings.commandTimeout());
        freeSlot(hosts.get(hostKey(session.target())));
    }

    private static void freeSlot(Host host) {
        host.lock.lock();
        try {
            host.open--;
            host.changed.signal();
        } finally {
            host.lock.unlock();
        }
    }

    private SmtpSession takeIdle(Host host, String key) {
        Iterator<SmtpSession> it = host.idle.iterator();
        while (it.hasNext()) {
            SmtpSession session = it.next();
            if (session.target().key().equals(key)) {
                it.remove();
                return session;
            }
        }
        return null;
    }

    // Called with the host's lock held; the sessions are closed after it is released.
    private void expire(Host host, List<SmtpSession> toClose) {
        Instant oldest = clock.instant().minus(settings.connectionIdleTime());
        Iterator<SmtpSession> it = host.idle.iterator();
        while (it.hasNext()) {
            SmtpSession session = it.next();
            if (!session.idleSince().isAfter(oldest)) {
                it.remove();
                host.open--;
                toClose.add(session);
            }
        }
        if (!toClose.isEmpty()) {
            host.changed.signalAll();
        }
    }

    // Hosts nobody borrows from any more would otherwise keep their idle connections until close().
    private void sweepIfDue() {
        Instant now = clock.instant();
        if (Duration.between(lastSweep, now).compareTo(settings.connectionIdleTime()) < 0) {
            return;
        }
        lastSweep = now;
        for (Host host : hosts.values()) {
            List<SmtpSession> toClose = new ArrayList<>();
            if (host.lock.tryLock()) {
                try {
                    expire(host, toClose);
                } finally {
                    host.lock.unlock();
                }
            }
            closeAll(toClose);
        }
    }

    private void closeAll(List<SmtpSession> sessions) {
        for (SmtpSession session : sessions) {
            session.close(settings.commandTimeout());
        }
    }

    /** Sessions open to {@code target}'s address and port, busy or idle (for tests and monitoring). */
    int openConnections(SmtpTarget target) {
        Host host = hosts.get(hostKey(target));
        if (host == null) {
            return 0;
        }
        host.lock.lock();
        try {
            return host.open;
        } finally {
            host.lock.unlock();
        }
    }

    /** Senders waiting for a free slot at {@code target}'s address and port. */
    int waiting(SmtpTarget target) {
        Host host = hosts.get(hostKey(target));
        if (host == null) {
            return 0;
        }
        host.lock.lock();
        try {
            return host.waiting;
        } finally {
            host.lock.unlock();
        }
    }

    /** QUITs every idle session; busy ones are closed when they come back. */
    @Override
    public void close() {
        closed = true;
        for (Host host : hosts.values()) {
            List<SmtpSession> toClose = new ArrayList<>();
            host.lock.lock();
            try {
                toClose.addAll(host.idle);
                host.open -= host.idle.size();
                host.idle.clear();
                host.changed.signalAll();
            } finally {
                host.lock.unlock();
            }
            closeAll(toClose);
        }
    }
}
