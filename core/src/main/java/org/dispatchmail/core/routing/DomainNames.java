package org.dispatchmail.core.routing;

import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Domain names as DNS compares them: A-labels, lower case, no trailing dot. The one place where an address's
 * domain is taken out and a domain is put in that form.
 */
public final class DomainNames {

    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;
    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private DomainNames() {
    }

    /** The domain part of an address: the text after its last "@", as written; "" when there is no "@". */
    public static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1);
    }

    /** The domain of an address as {@link #comparable} gives it: how recipients are grouped by domain. */
    public static String recipientDomain(String address) {
        return comparable(domainOf(address));
    }

    /**
     * A domain in the form that is equal for every way of writing it ({@link #toAscii}); a name that is not valid
     * stays as written, lower-cased, so that it still has a group and a queue entry (delivery then reports it as
     * not a domain name, and never throws for it).
     */
    public static String comparable(String domain) {
        try {
            return toAscii(domain);
        } catch (IllegalArgumentException notADomainName) {
            return domain.toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The A-label form of {@code domain}: U-labels converted (IDNA, as java.net.IDN does), lower case, without a
     * trailing dot.
     *
     * @throws IllegalArgumentException with a message saying what is wrong with the name
     */
    public static String toAscii(String domain) {
        if (domain == null || domain.trim().isEmpty()) {
            throw new IllegalArgumentException("empty domain name");
        }
        String text = domain.trim();
        if (text.endsWith(".")) {
            text = text.substring(0, text.length() - 1);
        }
        String ascii;
        try {
            ascii = IDN.toASCII(text).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid domain name '" + domain + "': " + e.getMessage());
        }
        if (ascii.isEmpty()) {
            throw new IllegalArgumentException("empty domain name");
        }
        if (ascii.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("invalid domain name '" + domain + "': longer than "
                    + MAX_NAME_LENGTH + " characters");
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty()) {
                throw new IllegalArgumentException("invalid domain name '" + domain + "': empty label");
            }
            if (label.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException("invalid domain name '" + domain + "': label '" + label
                        + "' is longer than " + MAX_LABEL_LENGTH + " characters");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                // letters, digits, hyphen; underscore too, which some real host names carry
                if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                    throw new IllegalArgumentException("invalid domain name '" + domain + "': character '"
                            + c + "' is not allowed");
                }
            }
        }
        return ascii;
    }

    /**
     * An IPv4 literal (192.0.2.1) or IPv6 literal (2001:db8::1, without brackets) as an address, never looked up in
     * DNS; empty when the text is not an IP literal.
     *
     * @throws IllegalArgumentException when it looks like an IP literal but is not a valid one
     */
    static Optional<InetAddress> ipLiteral(String text) {
        boolean ipv4 = IPV4_LITERAL.matcher(text).matches();
        boolean ipv6 = text.indexOf(':') >= 0;
        if (!ipv4 && !ipv6) {
            return Optional.empty();
        }
        if (ipv4) {
            for (String octet : text.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw new IllegalArgumentException("invalid IPv4 address '" + text + "'");
                }
            }
        } else if (!text.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("invalid IPv6 address '" + text + "'");
        }
        try {
            // a literal: parsed, not resolved
            return Optional.of(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("invalid IP address '" + text + "'");
        }
    }
}
