package org.dispatchmail.core.delivery;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads replies from and writes commands to one connected SMTP server, with a deadline on every step. */
final class SmtpConnection implements Closeable {

    // Far above RFC 5321's 512 octets: tolerant of chatty servers, but bounded against a hostile one.
    private static final int MAX_LINE_LENGTH = 8192;
    private static final int MAX_REPLY_LINES = 1000;
    private static final byte[] CRLF = {'\r', '\n'};

    // replaced once by the TLS socket after STARTTLS
    private volatile Socket socket;
    private InputStream in;
    private OutputStream out;
    private final WriteWatchdog watchdog;
    // the delivery using this connection now, null while it waits idle in the pool
    private volatile TransactionDeadline deadline;

    SmtpConnection(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.watchdog = new WriteWatchdog(this);
    }

    /** Closes this connection when {@code limit} passes, and says so in the errors that follow. */
    void limit(TransactionDeadline limit) {
        this.deadline = limit;
        limit.guard(this);
    }

    /** The delivery is over: the connection may outlive it, idle in the pool. */
    void unlimit() {
        TransactionDeadline current = deadline;
        if (current != null) {
            current.disarm();
            deadline = null;
        }
    }

    /** A failure caused by the deadline closing the connection is reported as such, not as "socket closed". */
    private IOException explained(IOException e) {
        TransactionDeadline current = deadline;
        if (current != null && current.fired()) {
            return new SocketTimeoutException(current.exceeded());
        }
        return e;
    }

    Socket socket() {
        return socket;
    }

    /**
     * True when the server sent more than the reply just read. Right after the 220 to STARTTLS that would be
     * plain-text data an attacker could have injected to be read as if it came over TLS (CVE-2011-0411 style).
     */
    boolean hasUnreadInput() throws IOException {
        return in.available() > 0;
    }

    /** Continues over {@code tls}, a TLS socket layered on the current one and already through its handshake. */
    void upgrade(Socket tls) throws IOException {
        this.socket = tls;
        this.in = new BufferedInputStream(tls.getInputStream());
        this.out = tls.getOutputStream();
    }

    /** Waits at most {@code timeout} for each line of the next reply. */
    SmtpReply readReply(Duration timeout) throws IOException {
        try {
            return readReplyLines(timeout);
        } catch (IOException e) {
            throw explained(e);
        }
    }

    private SmtpReply readReplyLines(Duration timeout) throws IOException {
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
        List<String> lines = new ArrayList<>();
        while (true) {
            String line;
            try {
                line = readLine();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("no reply within " + seconds(timeout));
            }
            lines.add(line);
            if (SmtpReply.isLastLine(line)) {
                break;
            }
            if (lines.size() >= MAX_REPLY_LINES) {
                throw new IOException("reply longer than " + MAX_REPLY_LINES + " lines");
            }
        }
        try {
            return SmtpReply.parse(lines);
        } catch (IllegalArgumentException e) {
            throw new IOException("malformed reply: " + e.getMessage());
        }
    }

    /** Sends one command line; CRLF is added here. */
    void sendCommand(String command, Duration timeout) throws IOException {
        byte[] text = command.getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[text.length + 2];
        System.arraycopy(text, 0, line, 0, text.length);
        System.arraycopy(CRLF, 0, line, text.length, 2);
        write(line, timeout);
    }

    /** Writes raw bytes; the connection is closed if that takes longer than {@code timeout}. */
    void write(byte[] bytes, Duration timeout) throws IOException {
        try (WriteWatchdog.Armed ignored = watchdog.arm(timeout)) {
            out.write(bytes);
            out.flush();
        } catch (IOException e) {
            if (watchdog.fired()) {
                throw new SocketTimeoutException("could not send data for " + seconds(timeout));
            }
            throw explained(e);
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            int b = in.read();
            if (b == -1) {
                throw new EOFException("connection closed by the server");
            }
            if (b == '\n') {
                break;
            }
            if (line.size() >= MAX_LINE_LENGTH) {
                throw new IOException("reply line longer than " + MAX_LINE_LENGTH + " bytes");
            }
            line.write(b);
        }
        String text = line.toString(StandardCharsets.UTF_8);
        // servers that end lines with a bare LF are tolerated
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
    }

    static String seconds(Duration d) {
        long millis = d.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + " s" : millis + " ms";
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
