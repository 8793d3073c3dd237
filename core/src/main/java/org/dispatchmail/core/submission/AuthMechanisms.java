package org.dispatchmail.core.submission;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The SASL mechanisms submission offers, in the order announced. CRAM-MD5 is off unless listed: what it stores for a
 * login (the HMAC-MD5 context of the password) is password-equivalent, whoever reads the row can log in with it.
 */
public final class AuthMechanisms {
    public static final String PLAIN = "PLAIN";
    public static final String LOGIN = "LOGIN";
    public static final String CRAM_MD5 = "CRAM-MD5";
    public static final String SCRAM_SHA_256 = "SCRAM-SHA-256";
    /** Every mechanism this server implements. */
    public static final List<String> SUPPORTED = List.of(PLAIN, LOGIN, CRAM_MD5, SCRAM_SHA_256);
    public static final List<String> DEFAULT = List.of(PLAIN, LOGIN, SCRAM_SHA_256);

    private final List<String> offered;

    private AuthMechanisms(List<String> offered) {
        this.offered = List.copyOf(offered);
    }

    /** IllegalArgumentException naming the mechanism this server does not implement, or when none is left. */
    public static AuthMechanisms of(List<String> names) {
        Set<String> unique = new LinkedHashSet<>();
        for (String name : names) {
            String upper = name.trim().toUpperCase(Locale.ROOT);
            if (!SUPPORTED.contains(upper)) {
                throw new IllegalArgumentException("'" + name.trim() + "' is not a mechanism of this server; it has "
                    + String.join(" ", SUPPORTED));
            }
            unique.add(upper);
        }
        if (unique.isEmpty()) {
            throw new IllegalArgumentException("at least one mechanism is needed, among "
                + String.join(" ", SUPPORTED));
        }
        return new AuthMechanisms(new ArrayList<>(unique));
    }

    public static AuthMechanisms defaults() {
        return new AuthMechanisms(DEFAULT);
    }

    /** The mechanism the client named, upper-cased, when it is offered. */
    public Optional<String> offered(String requested) {
        String upper = requested.toUpperCase(Locale.ROOT);
        return offered.contains(upper) ? Optional.of(upper) : Optional.empty();
    }

    public List<String> offered() {
        return offered;
    }

    /** As announced after EHLO's "AUTH" and in the reply to an unknown mechanism: "PLAIN LOGIN SCRAM-SHA-256". */
    public String announced() {
        return String.join(" ", offered);
    }

    @Override
    public String toString() {
        return "AuthMechanisms[" + announced() + "]";
    }
}
