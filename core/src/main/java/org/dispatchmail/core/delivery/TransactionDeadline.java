package org.dispatchmail.core.delivery;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The end of one delivery to one server (delivery.transactionTimeout). Per-step timeouts restart at every byte a
 * server sends, so a server that answers one byte a second could hold a thread for hours: this closes whatever
 * connection it guards when the time is up, which makes the blocked read, write or handshake fail, and tells
 * that failure apart from the others.
 */
final class TransactionDeadline {

    private final Duration limit;
    private final long endNanos;
    private ScheduledFuture<?> closer;
    private volatile boolean fired;

    private TransactionDeadline(Duration limit) {
        this.limit = limit;
        this.endNanos = System.nanoTime() + limit.toNanos();
    }

    static TransactionDeadline start(Duration limit) {
        return new TransactionDeadline(limit);
    }

    /** Time left, never negative. */
    Duration remaining() {
        long left = endNanos - System.nanoTime();
        return left <= 0 ? Duration.ZERO : Duration.ofNanos(left);
    }

    boolean passed() {
        return fired || endNanos - System.nanoTime() <= 0;
    }

    /** {@code timeout}, or less when the deadline comes first; at least a millisecond (0 means "forever" to sockets). */
    Duration cap(Duration timeout) {
        Duration left = remaining();
        Duration capped = left.compareTo(timeout) < 0 ? left : timeout;
        return capped.toMillis() < 1 ? Duration.ofMillis(1) : capped;
    }

    /** Closes {@code connection} at the deadline; replaces what was guarded before. */
    synchronized void guard(Closeable connection) {
        disarm();
        closer = WriteWatchdog.schedule(() -> {
            fired = true;
            try {
                connection.close();
            } catch (IOException ignored) {
                // closing is all that was wanted: the blocked call fails
            }
        }, remaining().toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops guarding: the connection outlives this delivery (kept idle for the next one). */
    synchronized void disarm() {
        if (closer != null) {
            closer.cancel(false);
            closer = null;
        }
    }

    /** True once the deadline closed the guarded connection. */
    boolean fired() {
        return fired;
    }

    /** What the recipients' outcomes say when the deadline ended the delivery. */
    String exceeded() {
        return "transaction deadline of " + SmtpConnection.seconds(limit) + " exceeded";
    }
}
