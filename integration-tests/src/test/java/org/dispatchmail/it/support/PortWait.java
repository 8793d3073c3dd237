package org.dispatchmail.it.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.function.Supplier;

/** Bounded waits for a server's port, failing early when its process has died. */
public final class PortWait {
    private PortWait() {
    }

    public static void until(String host, int port, Duration timeout, Process process, Supplier<String> failure)
        throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(failure.get());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(failure.get() + " (port " + host + ":" + port + " closed after "
            + timeout.toSeconds() + " s)");
    }
}
