package org.dispatchmail.core.dkim;

import java.util.Locale;

/**
 * Checks the d= domain and s= selector before they go into a header field and a DNS name: a space, ';' or '=' there
 * would change the meaning of the DKIM-Signature, and a non-ASCII name must be given in its xn-- form.
 */
final class DnsNames {

    private DnsNames() {
    }

    /** The domain, lowercased and without a trailing dot. */
    static String domain(String domain) {
        String name = checked(domain, "domain");
        if (!name.contains(".")) {
            throw new IllegalArgumentException("DKIM domain '" + domain + "' is not a fully qualified domain name");
        }
        return name;
    }

    /** The selector, lowercased; it may have several labels ("2024.mail"). */
    static String selector(String selector) {
        return checked(selector, "selector");
    }

    private static String checked(String value, String what) {
        if (value == null) {
            throw new IllegalArgumentException("DKIM " + what + " is missing");
        }
        String name = value.trim();
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.isEmpty() || name.length() > 253) {
            throw new IllegalArgumentException("DKIM " + what + " '" + value + "' is empty or longer than 253 characters");
        }
        for (String label : name.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("DKIM " + what + " '" + value + "' has an empty or over-long label");
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                throw new IllegalArgumentException("DKIM " + what + " '" + value + "' has a label that starts or ends with '-'");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '_';
                if (!allowed) {
                    throw new IllegalArgumentException("DKIM " + what + " '" + value + "' may hold only letters, digits, '-'"
                            + " and '_' between dots (international names in their xn-- form)");
                }
            }
        }
        return name.toLowerCase(Locale.ROOT);
    }
}
