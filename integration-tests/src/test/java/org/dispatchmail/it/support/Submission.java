package org.dispatchmail.it.support;

import java.io.IOException;
import java.security.GeneralSecurityException;

import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.apache.commons.net.util.TrustManagerUtils;

/** Submits a message the way a mail client does: STARTTLS, AUTH PLAIN, one transaction. */
public final class Submission {
    private Submission() {
    }

    /** Returns the final reply line to the message data (250 ... when accepted). */
    public static String send(int port, String user, String password, String from, String to, String message)
        throws IOException, GeneralSecurityException {
        AuthenticatingSMTPClient client = new AuthenticatingSMTPClient("TLS", false);
        client.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager());
        client.setDefaultTimeout(30_000);
        client.connect("127.0.0.1", port);
        try {
            client.setSoTimeout(30_000);
            expect(client, client.ehlo("client.test"), "EHLO");
            if (!client.execTLS()) {
                throw new IOException("STARTTLS refused: " + client.getReplyString());
            }
            expect(client, client.ehlo("client.test"), "EHLO after STARTTLS");
            if (!client.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, user, password)) {
                throw new IOException("AUTH refused: " + client.getReplyString());
            }
            if (!client.setSender(from) || !client.addRecipient(to)) {
                throw new IOException("envelope refused: " + client.getReplyString());
            }
            client.sendShortMessageData(message);
            return client.getReplyString().trim();
        } finally {
            client.logout();
            client.disconnect();
        }
    }

    private static void expect(AuthenticatingSMTPClient client, int code, String what) throws IOException {
        if (!SMTPReply.isPositiveCompletion(code)) {
            throw new IOException(what + " refused: " + client.getReplyString());
        }
    }
}
