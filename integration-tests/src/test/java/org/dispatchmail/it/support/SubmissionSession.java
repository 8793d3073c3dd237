package org.dispatchmail.it.support;

import java.io.IOException;
import java.io.Writer;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.List;

import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.apache.commons.net.util.TrustManagerUtils;

/**
 * One authenticated submission session (STARTTLS, AUTH PLAIN) that sends many messages, as a mail
 * client or an application's mailer does: one login, then transaction after transaction.
 */
public final class SubmissionSession implements AutoCloseable {
    private final AuthenticatingSMTPClient client;

    private SubmissionSession(AuthenticatingSMTPClient client) {
        this.client = client;
    }

    public static SubmissionSession open(int port, String user, String password)
        throws IOException, GeneralSecurityException {
        return open(port, user, password, Duration.ofSeconds(60));
    }

    /** With a longer wait for each reply, e.g. RFC 5321's 10 minutes for the reply to a large message's data. */
    public static SubmissionSession open(int port, String user, String password, Duration replyTimeout)
        throws IOException, GeneralSecurityException {
        int timeout = Math.toIntExact(replyTimeout.toMillis());
        AuthenticatingSMTPClient client = new AuthenticatingSMTPClient("TLS", false);
        client.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        client.setDefaultTimeout(timeout);
        client.connect("127.0.0.1", port);
        try {
            client.setSoTimeout(timeout);
            expect(client, client.ehlo("client.test"), "EHLO");
            if (!client.execTLS()) {
                throw new IOException("STARTTLS refused: " + client.getReplyString());
            }
            expect(client, client.ehlo("client.test"), "EHLO after STARTTLS");
            if (!client.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, user, password)) {
                throw new IOException("AUTH refused: " + client.getReplyString());
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            client.disconnect();
            throw e;
        }
        return new SubmissionSession(client);
    }

    /** One transaction; returns the reply to the message data, or fails with the reply that refused the envelope. */
    public String send(String from, List<String> recipients, String message) throws IOException {
        return send(from, recipients, data -> data.write(message));
    }

    /** Writes the message data as it is produced (CRLF line endings; dot-stuffing is done here), so it may be large. */
    public interface MessageData {
        void writeTo(Writer data) throws IOException;
    }

    /** One transaction whose message is written by {@code message} while it is sent. */
    public String send(String from, List<String> recipients, MessageData message) throws IOException {
        if (!client.setSender(from)) {
            throw new IOException("MAIL FROM refused: " + client.getReplyString());
        }
        for (String recipient : recipients) {
            if (!client.addRecipient(recipient)) {
                throw new IOException("RCPT TO:<" + recipient + "> refused: " + client.getReplyString());
            }
        }
        Writer data = client.sendMessageData();
        if (data == null) {
            throw new IOException("DATA refused: " + client.getReplyString());
        }
        message.writeTo(data);
        data.close();
        if (!client.completePendingCommand()) {
            throw new IOException("message refused: " + client.getReplyString());
        }
        return client.getReplyString().trim();
    }

    @Override
    public void close() throws IOException {
        try {
            client.logout();
        } finally {
            client.disconnect();
        }
    }

    private static void expect(AuthenticatingSMTPClient client, int code, String what) throws IOException {
        if (!SMTPReply.isPositiveCompletion(code)) {
            throw new IOException(what + " refused: " + client.getReplyString());
        }
    }
}
