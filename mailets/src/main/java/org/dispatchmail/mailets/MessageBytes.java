package org.dispatchmail.mailets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;

/** A mail's message as the bytes that are signed, sealed, journaled and queued. */
final class MessageBytes {
    private MessageBytes() {
    }

    static byte[] of(Mail mail) throws MessagingException {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            mail.getMessage().writeTo(bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new MessagingException("cannot read the content of " + mail.getName(), e);
        }
    }
}
