package org.dispatchmail.core.delivery;

import java.util.List;
import java.util.Objects;

/** The SMTP envelope of one transaction: the reverse-path for MAIL FROM and the forward-paths for RCPT TO. */
public final class Envelope {

    private final String mailFrom;
    private final List<String> recipients;

    /**
     * @param mailFrom the sender address without angle brackets; "" is the null reverse-path {@code <>} used by bounces
     * @param recipients the recipient addresses without angle brackets
     * @throws IllegalArgumentException when an address could smuggle extra SMTP commands or recipients is empty
     */
    public Envelope(String mailFrom, List<String> recipients) {
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

    @Override
    public String toString() {
        return "<" + mailFrom + "> -> " + recipients;
    }
}
