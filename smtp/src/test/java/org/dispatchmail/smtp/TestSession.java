package org.dispatchmail.smtp;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SSLSession;

import org.apache.james.core.Username;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPConfigurationImpl;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.SMTPSessionImpl;

/**
 * A real James SMTP session over an in-memory connection: what the server writes is recorded, lines the client
 * sends go to the line handler on top (as James's decoder would hand them over), and TLS is a flag.
 */
final class TestSession implements ProtocolTransport {
    static final int SUBMISSION_PORT = 587;

    private final int localPort;
    private final boolean tls;
    private SSLSession sslSession;
    private final Deque<LineHandler<SMTPSession>> lineHandlers = new ArrayDeque<>();
    private final List<Response> written = new ArrayList<>();
    private boolean readable = true;
    final SMTPSession session;

    private TestSession(int localPort, boolean tls) {
        this.localPort = localPort;
        this.tls = tls;
        this.session = new SMTPSessionImpl(this, new SMTPConfigurationImpl());
    }

    static TestSession plain(int localPort) {
        return new TestSession(localPort, false);
    }

    static TestSession tls(int localPort) {
        return new TestSession(localPort, true);
    }

    /** A session inside TLS that has logged in as {@code login}. */
    static TestSession loggedIn(String login) {
        TestSession test = tls(SUBMISSION_PORT);
        test.session.setUsername(Username.of(login));
        return test;
    }

    /** Hands a line the client sent to the line handler on top, as James does. */
    Response send(String line) {
        LineHandler<SMTPSession> handler = lineHandlers.peek();
        if (handler == null) {
            throw new IllegalStateException("no line handler waits for a line");
        }
        return handler.onLine(session, (line + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    synchronized List<Response> written() {
        return new ArrayList<>(written);
    }

    boolean waitsForALine() {
        return !lineHandlers.isEmpty();
    }

    @Override
    public InetSocketAddress getRemoteAddress() {
        return new InetSocketAddress("192.0.2.7", 40000);
    }

    @Override
    public InetSocketAddress getLocalAddress() {
        return new InetSocketAddress("127.0.0.1", localPort);
    }

    @Override
    public String getId() {
        return "test-session";
    }

    @Override
    public boolean isTLSStarted() {
        return tls;
    }

    @Override
    public boolean isStartTLSSupported() {
        return true;
    }

    @Override
    public Optional<SSLSession> getSSLSession() {
        return Optional.ofNullable(sslSession);
    }

    /** The TLS session the client negotiated. */
    TestSession withSslSession(SSLSession sslSession) {
        this.sslSession = sslSession;
        return this;
    }

    @Override
    public boolean isProxyRequired() {
        return false;
    }

    @Override
    public synchronized void writeResponse(Response response, ProtocolSession session) {
        written.add(response);
        notifyAll();
    }

    /** Waits (bounded) until {@code count} responses were written, from any thread. */
    synchronized List<Response> awaitWritten(int count) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (written.size() < count && System.nanoTime() < end) {
            wait(100);
        }
        return new ArrayList<>(written);
    }

    @Override
    public void popLineHandler() {
        lineHandlers.pop();
    }

    @Override
    @SuppressWarnings("unchecked")
    public void pushLineHandler(LineHandler<? extends ProtocolSession> handler, ProtocolSession session) {
        lineHandlers.push((LineHandler<SMTPSession>) handler);
    }

    @Override
    public void setReadable(boolean readable) {
        this.readable = readable;
    }

    @Override
    public boolean isReadable() {
        return readable;
    }
}
