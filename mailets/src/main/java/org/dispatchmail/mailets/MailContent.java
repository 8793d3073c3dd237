package org.dispatchmail.mailets;

import java.io.IOException;
import java.io.InputStream;

import javax.mail.MessagingException;

import org.apache.james.server.core.MimeMessageInputStream;
import org.apache.mailet.Mail;
import org.dispatchmail.core.delivery.MessageContent;

/**
 * A mail's message as content read when needed. While its body is unchanged (Dispatch only adds header
 * fields), James streams it from the spool file the listener wrote (messages over 100 KiB), with the
 * header fields from memory: a large message is never copied whole.
 */
final class MailContent implements MessageContent {
    private final Mail mail;

    private MailContent(Mail mail) {
        this.mail = mail;
    }

    static MessageContent of(Mail mail) {
        return new MailContent(mail);
    }

    /** James's count of the message's bytes (for logs and SIZE hints; stores count what they read). */
    @Override
    public long size() {
        try {
            return mail.getMessageSize();
        } catch (MessagingException e) {
            return -1;
        }
    }

    @Override
    public InputStream open() throws IOException {
        try {
            return new MimeMessageInputStream(mail.getMessage());
        } catch (MessagingException e) {
            throw new IOException("cannot read the content of " + mail.getName() + ": " + e.getMessage(), e);
        }
    }
}
