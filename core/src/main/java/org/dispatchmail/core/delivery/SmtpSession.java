package org.dispatchmail.core.delivery;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/** An open connection past greeting, EHLO, STARTTLS and AUTH, ready for mail transactions. */
final class SmtpSession {

    // A goodbye is a courtesy: not worth the full command timeout.
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(10);

    private final SmtpTarget target;
    private final SmtpConnection connection;
    private final Extensions extensions;
    private final String tls;
    private int transactions;
    private Instant idleSince;
    private boolean needsReset;
    private boolean broken;
    private boolean serverClosing;

    SmtpSession(SmtpTarget target, SmtpConnection connection, Extensions extensions, String tls) {
        this.target = target;
        this.connection = connection;
        this.extensions = extensions;
        this.tls = tls;
    }

    SmtpTarget target() {
        return target;
    }

    SmtpConnection connection() {
        return connection;
    }

    Extensions extensions() {
        return extensions;
    }

    /** The TLS session description, null for plain text. */
    String tls() {
        return tls;
    }

    int transactions() {
        return transactions;
    }

    void transactionDone() {
        transactions++;
    }

    Instant idleSince() {
        return idleSince;
    }

    void idleSince(Instant when) {
        this.idleSince = when;
    }

    /** True when a transaction ended before its final reply, so RSET must come before the next MAIL FROM. */
    boolean needsReset() {
        return needsReset;
    }

    void needsReset(boolean needed) {
        this.needsReset = needed;
    }

    /** The connection failed or is in an unknown state: close it without QUIT, never reuse it. */
    void markBroken() {
        this.broken = true;
    }

    /** The server sent 421 and closes the connection itself (RFC 5321 §3.8): no QUIT, no reuse. */
    void markServerClosing() {
        this.serverClosing = true;
    }

    boolean reusable() {
        return !broken && !serverClosing;
    }

    /** RSET and a 2xx reply: the connection is alive and no transaction is pending. */
    boolean reset(Duration timeout) {
        try {
            connection.sendCommand("RSET", shorter(timeout));
            if (connection.readReply(shorter(timeout)).isPositive()) {
                needsReset = false;
                return true;
            }
        } catch (IOException e) {
            // a dead idle connection: the caller opens a new one
        }
        markBroken();
        return false;
    }

    /** QUIT (unless the server is closing or the connection broke), then close; never throws. */
    void close(Duration commandTimeout) {
        try {
            if (reusable()) {
                connection.sendCommand("QUIT", shorter(commandTimeout));
                connection.readReply(shorter(commandTimeout));
            }
        } catch (IOException ignored) {
            // the server may already have closed; nothing depends on its goodbye
        } finally {
            try {
                connection.close();
            } catch (IOException ignored) {
                // nothing left to release
            }
        }
    }

    private static Duration shorter(Duration timeout) {
        return timeout.compareTo(QUIT_TIMEOUT) < 0 ? timeout : QUIT_TIMEOUT;
    }

    @Override
    public String toString() {
        return target + (tls != null ? " " + tls : "") + " after " + transactions + " transaction(s)";
    }
}
