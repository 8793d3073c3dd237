package org.dispatchmail.it.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * An SMTP client on a raw socket, for what a mail library would hide or refuse: exact replies,
 * commands out of order, AUTH without TLS.
 */
public final class RawSmtpSession implements AutoCloseable {
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final List<String> greeting;

    private RawSmtpSession(Socket socket) throws IOException {
        use(socket);
        this.greeting = readReply();
    }

    /** Connects to 127.0.0.1:port (with implicit TLS when asked) and reads the greeting. */
    public static RawSmtpSession open(int port, boolean implicitTls) throws IOException, GeneralSecurityException {
        return open(port, implicitTls, "127.0.0.1");
    }

    /** The same from a chosen loopback source address, to look like another client. */
    public static RawSmtpSession open(int port, boolean implicitTls, String sourceAddress)
        throws IOException, GeneralSecurityException {
        return open("127.0.0.1", port, implicitTls ? trustAll() : null, sourceAddress);
    }

    /**
     * Connects to a peer on another loopback address; with a TLS context, implicit TLS that
     * trusts only what the context trusts (e.g. a test CA's).
     */
    public static RawSmtpSession open(String host, int port, SSLContext implicitTls, String sourceAddress)
        throws IOException, GeneralSecurityException {
        Socket plain = new Socket();
        plain.bind(new java.net.InetSocketAddress(sourceAddress, 0));
        plain.connect(new java.net.InetSocketAddress(host, port), 10_000);
        return new RawSmtpSession(implicitTls != null ? wrap(plain, host, port, implicitTls) : plain);
    }

    public List<String> greeting() {
        return greeting;
    }

    /** Sends one command line (CRLF added) and returns every line of the reply. */
    public List<String> send(String line) throws IOException {
        write(line + "\r\n");
        return reply();
    }

    /** Writes exactly these characters, UTF-8 encoded: bare CR, LF, NUL and pipelining included. */
    public void write(String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads one whole (possibly multi-line) reply. */
    public List<String> reply() throws IOException {
        return readReply();
    }

    /** True once the server has closed the connection without sending anything more. */
    public boolean closedByPeer() throws IOException {
        socket.setSoTimeout(5000);
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset by the server
        }
    }

    /** The reply's first line, e.g. "530 5.7.0 Authentication required". */
    public String sendForFirstLine(String line) throws IOException {
        return send(line).get(0);
    }

    /** STARTTLS and the TLS handshake; fails unless the server said 220. */
    public void startTls() throws IOException, GeneralSecurityException {
        String reply = sendForFirstLine("STARTTLS");
        if (!reply.startsWith("220")) {
            throw new IOException("STARTTLS refused: " + reply);
        }
        wrapTls();
    }

    /** STARTTLS with a handshake that trusts only what the context trusts; fails unless the server said 220. */
    public void startTls(SSLContext context) throws IOException, GeneralSecurityException {
        String reply = sendForFirstLine("STARTTLS");
        if (!reply.startsWith("220")) {
            throw new IOException("STARTTLS refused: " + reply);
        }
        use(wrap(socket, socket.getInetAddress().getHostAddress(), socket.getPort(), context));
    }

    /** How long a read waits for the server (15 s unless changed), for replies that are late on purpose. */
    public void readTimeout(java.time.Duration timeout) throws IOException {
        socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
    }

    /** The TLS handshake on the open connection, without sending STARTTLS first. */
    public void wrapTls() throws IOException, GeneralSecurityException {
        use(wrap(socket, socket.getPort()));
    }

    private void use(Socket next) throws IOException {
        socket = next;
        socket.setSoTimeout(15_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    private List<String> readReply() throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = readLine();
            if (line == null) {
                throw new IOException("connection closed after " + lines);
            }
            lines.add(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return lines;
    }

    /** A reply line up to LF, its CR dropped; null at end of stream. Read byte by byte to see exactly what came. */
    private String readLine() throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] bytes = buffer.toByteArray();
                int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            buffer.write(b);
        }
        return buffer.size() == 0 ? null : buffer.toString(StandardCharsets.UTF_8);
    }

    private static Socket wrap(Socket plain, int port) throws IOException, GeneralSecurityException {
        return wrap(plain, "127.0.0.1", port, trustAll());
    }

    private static Socket wrap(Socket plain, String host, int port, SSLContext context) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true);
        tls.startHandshake();
        return tls;
    }

    private static SSLContext trustAll() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                // the test server's certificate is self-signed on purpose
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return context;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
