package org.dispatchmail.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP forwarder that a test can cut and restore, to take a real server away from a
 * client (Cassandra from Dispatch) without stopping the server; and slow down (a fixed latency on what
 * the client sends), to hold the client's requests in flight for a known time.
 */
public final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final int port;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocket listener;
    private volatile long latencyNanos;

    public TcpProxy(String targetHost, int targetPort, int port) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.port = port;
        resume();
    }

    public int port() {
        return port;
    }

    /** Accepts and forwards connections again, on the same port. */
    public synchronized void resume() throws IOException {
        if (listener != null) {
            return;
        }
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        listener = socket;
        Thread acceptor = new Thread(() -> accept(socket), "tcp-proxy-" + port);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Delays every byte the client sends by this much from now on (zero: none), keeping the throughput. */
    public void latency(Duration latency) {
        latencyNanos = latency.toNanos();
    }

    /** Closes the port and every forwarded connection: the client sees the server gone. */
    public synchronized void cut() throws IOException {
        if (listener != null) {
            listener.close();
            listener = null;
        }
        for (Socket socket : open) {
            socket.close();
        }
        open.clear();
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                Socket server = new Socket();
                server.connect(target, 5000);
                open.add(client);
                open.add(server);
                pump(client, server, true);
                pump(server, client, false);
            } catch (IOException e) {
                // listener closed by cut(), or the target refused: the client sees a closed connection
            }
        }
    }

    private void pump(Socket from, Socket to, boolean delayed) {
        // each chunk is handed to the writer with the time it may leave: a fixed latency, not a slower link
        BlockingQueue<Object[]> chunks = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    long due = System.nanoTime() + (delayed ? latencyNanos : 0);
                    chunks.add(new Object[] {due, Arrays.copyOf(buffer, n)});
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                chunks.add(new Object[] {0L, null});
            }
        }, "tcp-proxy-read");
        Thread writer = new Thread(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Object[] chunk = chunks.take();
                    if (chunk[1] == null) {
                        break;
                    }
                    long wait = (Long) chunk[0] - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    out.write((byte[]) chunk[1]);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
    }
}
