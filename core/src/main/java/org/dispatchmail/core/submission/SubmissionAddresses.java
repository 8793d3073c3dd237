package org.dispatchmail.core.submission;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The syntax of logins and allowed-sender entries: ASCII addresses (RFC 5321 dot-atom local part, LDH domain with at
 * least two labels) kept in lower case, and whole domains written "@example.com".
 */
final class SubmissionAddresses {
    private static final String ATOM = "[a-z0-9!#$%&'*+/=?^_`{|}~-]+";
    private static final Pattern LOCAL_PART = Pattern.compile(ATOM + "(\\." + ATOM + ")*");
    private static final String LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
    private static final Pattern DOMAIN = Pattern.compile(LABEL + "(\\." + LABEL + ")+");
    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 253;

    private SubmissionAddresses() {
    }

    /** The login as stored, or IllegalArgumentException saying what is wrong with it. */
    static String login(String login) {
        if (login == null || login.isBlank()) {
            throw new IllegalArgumentException("a login is required (an address like alice@example.com)");
        }
        String lower = lower(login.trim());
        if (!isAddress(lower)) {
            throw new IllegalArgumentException("login '" + shown(login) + "' is not an address like alice@example.com");
        }
        return lower;
    }

    /** An allowed-sender entry as stored: an address, or a domain after "@". */
    static String senderEntry(String entry) {
        String lower = entry == null ? "" : lower(entry.trim());
        boolean valid = lower.startsWith("@") ? isDomain(lower.substring(1)) : isAddress(lower);
        if (!valid) {
            throw new IllegalArgumentException("allowed sender '" + shown(entry) + "' is neither an address"
                + " (alice@example.com) nor a whole domain (@example.com)");
        }
        return lower;
    }

    static String lower(String text) {
        return text.toLowerCase(Locale.ROOT);
    }

    private static boolean isAddress(String text) {
        int at = text.lastIndexOf('@');
        if (at <= 0) {
            return false;
        }
        String local = text.substring(0, at);
        return local.length() <= MAX_LOCAL_PART && LOCAL_PART.matcher(local).matches()
            && isDomain(text.substring(at + 1));
    }

    private static boolean isDomain(String text) {
        return text.length() <= MAX_DOMAIN && DOMAIN.matcher(text).matches();
    }

    /** Input echoed in an error message, cut short so a pasted blob does not flood a log or a terminal. */
    private static String shown(String text) {
        String value = String.valueOf(text);
        return value.length() > 100 ? value.substring(0, 100) + "..." : value;
    }
}
