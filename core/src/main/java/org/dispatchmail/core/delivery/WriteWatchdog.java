package org.dispatchmail.core.delivery;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Socket reads honour SO_TIMEOUT but blocking writes do not, so a server that stops reading could hang a sender
 * forever. This closes the connection when a write has not finished in time, which makes the write fail.
 */
final class WriteWatchdog {

    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private final Closeable connection;
    private volatile boolean fired;

    WriteWatchdog(Closeable connection) {
        this.connection = connection;
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "dispatch-smtp-write-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    /** Runs {@code task} on the watchdog's timer thread after {@code delay}. */
    static ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return TIMER.schedule(task, delay, unit);
    }

    /** Starts a deadline for the next write; the returned handle must be closed when the write is done. */
    Armed arm(Duration timeout) {
        ScheduledFuture<?> task = TIMER.schedule(this::fire, timeout.toMillis(), TimeUnit.MILLISECONDS);
        return () -> task.cancel(false);
    }

    /** True when a deadline passed and the connection was closed because of it. */
    boolean fired() {
        return fired;
    }

    private void fire() {
        fired = true;
        try {
            connection.close();
        } catch (IOException ignored) {
            // closing is all we wanted; the blocked writer sees the failure
        }
    }

    interface Armed extends AutoCloseable {
        @Override
        void close();
    }
}
