package org.dispatchmail.dist.cassandra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free TCP ports on 127.0.0.1, for tests and throw-away servers. */
public final class FreePorts {
    private static final InetAddress LOOPBACK = loopback();
    /** Ports already handed out by this JVM: two calls never return the same port, even if the first is unused yet. */
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /**
     * A TCP port that is free on 127.0.0.1 right now: binds port 0, reads the port the kernel chose, closes the
     * socket. Nothing reserves it afterwards, so use it soon; it is never returned twice by the same JVM.
     */
    public static synchronized int pick() {
        IOException last = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(false);
                socket.bind(new InetSocketAddress(LOOPBACK, 0), 1);
                int port = socket.getLocalPort();
                if (HANDED_OUT.add(port)) {
                    return port;
                }
            } catch (IOException e) {
                last = e;
            }
        }
        throw new UncheckedIOException("no free TCP port found on 127.0.0.1 after 100 attempts",
                last != null ? last : new IOException("every port offered was handed out before"));
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
