package org.dispatchmail.mailets;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.intake.IntakeKey;

/**
 * A James mail as an intake journal entry and back: the envelope, state and attributes in James's own
 * serialised form (the one its file repositories use), the message as its bytes. A journaled mail
 * carries its entry's key in two attributes, which copies made during processing inherit.
 */
public final class IntakeMail {
    /** The node that holds the journal entry. */
    static final AttributeName WRITER = AttributeName.of("dispatch.intake.writer");
    /** The name the entry was journaled under (a mail split during processing gets new names). */
    static final AttributeName NAME = AttributeName.of("dispatch.intake.name");

    private IntakeMail() {
    }

    /** Tags the mail with its entry's key and returns the entry. */
    static IntakeEntry entry(String writer, Mail mail, Instant now) throws MessagingException {
        mail.setAttribute(new Attribute(WRITER, AttributeValue.of(writer)));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(mail.getName())));
        return new IntakeEntry(writer, mail.getName(), now, envelope(mail), MailContent.of(mail));
    }

    /** The journal entry a mail belongs to, if it was journaled. */
    static Optional<IntakeKey> key(Mail mail) {
        Optional<String> writer = text(mail, WRITER);
        Optional<String> name = text(mail, NAME);
        return writer.isPresent() && name.isPresent() ? Optional.of(new IntakeKey(writer.get(), name.get()))
            : Optional.empty();
    }

    /** The mail as it was journaled, now held by the entry's (new) writer, to be processed from the start. */
    static MailImpl restore(IntakeEntry entry) throws MessagingException {
        MailImpl mail;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(entry.envelope()))) {
            mail = (MailImpl) in.readObject();
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            throw new MessagingException("unreadable journal entry " + entry.mailName() + ": " + e.getMessage(), e);
        }
        // spooled to a file by James when large, like mail the listener receives
        try (InputStream content = entry.content().open()) {
            mail.setMessage(new MimeMessageWrapper(MimeMessageInputStreamSource.create(entry.mailName(), content)));
        } catch (IOException e) {
            throw new MessagingException("cannot read the journaled content of " + entry.mailName() + ": "
                + e.getMessage(), e);
        }
        mail.setState(Mail.DEFAULT);
        mail.setAttribute(new Attribute(WRITER, AttributeValue.of(entry.writer())));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(entry.mailName())));
        return mail;
    }

    private static byte[] envelope(Mail mail) throws MessagingException {
        MailImpl copy = mail instanceof MailImpl ? (MailImpl) mail : MailImpl.duplicate(mail);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(copy);
        } catch (IOException e) {
            throw new MessagingException("cannot serialise " + mail.getName() + " for the journal: " + e.getMessage(), e);
        }
        return bytes.toByteArray();
    }


    private static Optional<String> text(Mail mail, AttributeName name) {
        return mail.getAttribute(name).flatMap(attribute -> attribute.getValue().valueAs(String.class));
    }
}
