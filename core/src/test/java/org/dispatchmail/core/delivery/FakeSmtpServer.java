package org.dispatchmail.core.delivery;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP server on 127.0.0.1 that plays one scripted dialogue per accepted connection, recording what the client
 * sent, so tests can check the exact bytes on the wire.
 */
final class FakeSmtpServer implements AutoCloseable {

    private static final int IO_TIMEOUT_MILLIS = 10_000;

    /** The server's side of one connection. */
    interface Script {
        void play(Session session) throws Exception;
    }

    private final ServerSocket serverSocket;
    private final FutureTask<Void> task;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final List<byte[]> messages = new CopyOnWriteArrayList<>();
    private final List<InetAddress> clients = new CopyOnWriteArrayList<>();

    private FakeSmtpServer(boolean concurrent, Script... connections) throws IOException {
        serverSocket = new ServerSocket();
        serverSocket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        serverSocket.setSoTimeout(IO_TIMEOUT_MILLIS);
        task = new FutureTask<>(() -> {
            List<FutureTask<Void>> running = new ArrayList<>();
            for (Script script : connections) {
                Socket accepted = serverSocket.accept();
                clients.add(accepted.getInetAddress());
                FutureTask<Void> connection = new FutureTask<>(() -> {
                    try (Socket socket = accepted) {
                        socket.setSoTimeout(IO_TIMEOUT_MILLIS);
                        script.play(new Session(socket));
                    }
                    return null;
                });
                if (concurrent) {
                    Thread thread = new Thread(connection, "fake-smtp-connection");
                    thread.setDaemon(true);
                    thread.start();
                } else {
                    connection.run();
                    outcomeOf(connection);
                }
                running.add(connection);
            }
            for (FutureTask<Void> connection : running) {
                outcomeOf(connection);
            }
            return null;
        });
        Thread thread = new Thread(task, "fake-smtp-server");
        thread.setDaemon(true);
        thread.start();
    }

    private static void outcomeOf(FutureTask<Void> connection) throws Exception {
        try {
            connection.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Error) {
                throw (Error) e.getCause();
            }
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    /** Starts a server that plays the scripts in turn, one per incoming connection. */
    static FakeSmtpServer start(Script... connections) throws IOException {
        return new FakeSmtpServer(false, connections);
    }

    /** Starts a server that plays each script on its own thread as soon as its connection comes in. */
    static FakeSmtpServer startConcurrent(Script... connections) throws IOException {
        return new FakeSmtpServer(true, connections);
    }

    /** The client address of each accepted connection, in order. */
    List<InetAddress> clients() {
        return clients;
    }

    int port() {
        return serverSocket.getLocalPort();
    }

    InetAddress address() {
        return serverSocket.getInetAddress();
    }

    /** Every command line received, in order, across connections. */
    List<String> commands() {
        return commands;
    }

    /** The raw bytes received after each 354, up to and including the terminating CRLF.CRLF. */
    List<byte[]> messages() {
        return messages;
    }

    /** Waits until every script has finished, rethrowing what went wrong on the server side. */
    void awaitScripts() throws Exception {
        try {
            task.get(2 * IO_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
        }
    }

    @Override
    public void close() throws IOException {
        serverSocket.close();
    }

    final class Session {
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Session(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        /** Sends reply lines, each followed by CRLF. */
        void reply(String... lines) throws IOException {
            for (String line : lines) {
                out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
        }

        /** Sends raw text, no CRLF added (a reply in pieces). */
        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** Reads one command line and records it. */
        String command() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int previous = -1;
            while (true) {
                int b = in.read();
                if (b == -1) {
                    throw new EOFException("client closed; got so far: " + line);
                }
                if (previous == '\r' && b == '\n') {
                    break;
                }
                if (previous != -1) {
                    line.write(previous);
                }
                previous = b;
            }
            String command = line.toString(StandardCharsets.UTF_8);
            commands.add(command);
            return command;
        }

        /** Reads one command, failing the script unless it starts with {@code prefix}, then answers it. */
        void expect(String prefix, String... replyLines) throws IOException {
            String command = command();
            if (!command.toUpperCase().startsWith(prefix.toUpperCase())) {
                throw new AssertionError("expected " + prefix + " but the client sent: " + command);
            }
            reply(replyLines);
        }

        /** Reads the message data up to and including CRLF.CRLF, raw (still dot-stuffed), and records it. */
        byte[] data() throws IOException {
            ByteArrayOutputStream data = new ByteArrayOutputStream();
            // the terminator is CRLF.CRLF, or just .CRLF when the data is empty
            String tail = "\r\n";
            while (true) {
                int b = in.read();
                if (b == -1) {
                    throw new EOFException("client closed during data");
                }
                data.write(b);
                tail = (tail + (char) b).substring(Math.max(0, tail.length() + 1 - 5));
                if (tail.equals("\r\n.\r\n")) {
                    byte[] raw = data.toByteArray();
                    messages.add(raw);
                    return raw;
                }
            }
        }

        /** Runs the server side of a TLS handshake with {@code context}'s key and continues over TLS. */
        void startTls(SSLContext context) throws IOException {
            SSLSocket tls = (SSLSocket) context.getSocketFactory()
                    .createSocket(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), true);
            tls.setUseClientMode(false);
            tls.startHandshake();
            socket = tls;
            in = tls.getInputStream();
            out = tls.getOutputStream();
        }

        /** Closes the connection without a word. */
        void drop() throws IOException {
            socket.close();
        }

        /** Fails unless the client closes the connection without sending anything more (no QUIT). */
        void expectClientClose() throws IOException {
            int b = in.read();
            if (b != -1) {
                throw new AssertionError("expected the client to close, but it sent: " + (char) b + command());
            }
        }

        /** Waits for the client to close its side (or up to the I/O timeout). */
        void awaitClientClose() throws IOException {
            while (in.read() != -1) {
                // discard
            }
        }
    }
}
