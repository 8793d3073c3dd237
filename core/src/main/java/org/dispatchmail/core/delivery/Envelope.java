package org.dispatchmail.core.delivery;

import java.util.Collections;
import java.util.List;
import java.util.Objects;


/** The SMTP envelope of one transaction: the reverse-path for MAIL FROM and the forward-paths for RCPT TO. */
public final class Envelope {

    private final String mailFrom;
    private final List<String> recipients;
    private final MessageDsn messageDsn;
    private final List<RecipientDsn> recipientDsn;

    /**
     * @param mailFrom the sender address without angle brackets; "" is the null reverse-path {@code <>} used by bounces
     * @param recipients the recipient addresses without angle brackets
     * @throws IllegalArgumentException when an address could smuggle extra SMTP commands or recipients is empty
     */
    public Envelope(String mailFrom, List<String> recipients) {
        this(mailFrom, recipients, MessageDsn.NONE, Collections.nCopies(recipients.size(), RecipientDsn.NONE));
    }

    /**
     * With the DSN parameters the client gave (RFC 3461), passed on to servers that offer DSN.
     *
     * @param recipientDsn one entry per recipient, in the same order
     */
    public Envelope(String mailFrom, List<String> recipients, MessageDsn messageDsn, List<RecipientDsn> recipientDsn) {
        this.messageDsn = Objects.requireNonNull(messageDsn, "messageDsn");
        this.recipientDsn = List.copyOf(Objects.requireNonNull(recipientDsn, "recipientDsn"));
        if (this.recipientDsn.size() != recipients.size()) {
            throw new IllegalArgumentException("one DSN entry per recipient expected");
        }
        this.mailFrom = checkPath(Objects.requireNonNull(mailFrom, "mailFrom"));
        this.recipients = List.copyOf(Objects.requireNonNull(recipients, "recipients"));
        if (this.recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        for (String recipient : this.recipients) {
            if (checkPath(recipient).isEmpty()) {
                throw new IllegalArgumentException("empty recipient address");
            }
        }
    }

    // The addresses are written verbatim into commands, so line breaks and brackets must not get through.
    private static String checkPath(String address) {
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            if (c == '\r' || c == '\n' || c == '<' || c == '>' || c == '\0') {
                throw new IllegalArgumentException("invalid character in address: " + address);
            }
        }
        return address;
    }

    public String mailFrom() {
        return mailFrom;
    }

    public List<String> recipients() {
        return recipients;
    }

    public MessageDsn messageDsn() {
        return messageDsn;
    }

    /** The DSN parameters of the recipient at {@code index} in {@link #recipients()}. */
    public RecipientDsn recipientDsn(int index) {
        return recipientDsn.get(index);
    }

    @Override
    public String toString() {
        return "<" + mailFrom + "> -> " + recipients;
    }
}
