package org.dispatchmail.core.dkim;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * What checking one DKIM signature gave (RFC 6376 §6.1, named as in RFC 8601 §2.7.1), with the d= and s= it named and
 * why it did not pass.
 */
public final class DkimResult {

    /** The result values of the "dkim" method of Authentication-Results. */
    public enum Status {
        /** The signature verified. */
        PASS,
        /** The signature or the body hash did not verify, or the signature expired. */
        FAIL,
        /** The signature could not be processed: an algorithm or canonicalization this verifier does not know. */
        NEUTRAL,
        /** The key could not be fetched now (DNS did not answer): another try later may work. */
        TEMPERROR,
        /** The signature or its key record is malformed, missing or revoked: another try gives the same answer. */
        PERMERROR;

        /** The lowercase name written in Authentication-Results. */
        public String token() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Status status;
    private final String domain;
    private final String selector;
    private final String reason;

    DkimResult(Status status, String domain, String selector, String reason) {
        this.status = Objects.requireNonNull(status, "status");
        this.domain = domain;
        this.selector = selector;
        this.reason = reason == null ? "" : reason;
    }

    public Status status() {
        return status;
    }

    public boolean passed() {
        return status == Status.PASS;
    }

    /** The d= value, when the signature had a usable one. */
    public Optional<String> domain() {
        return Optional.ofNullable(domain);
    }

    /** The s= value, when the signature had a usable one. */
    public Optional<String> selector() {
        return Optional.ofNullable(selector);
    }

    /** Why it did not pass; empty for a pass. */
    public String reason() {
        return reason;
    }

    /**
     * This result as one resinfo of Authentication-Results (RFC 8601 §2.2): "dkim=fail (reason) header.d=... header.s=...".
     * The reason goes in a comment, with the characters a comment cannot hold left out.
     */
    public String authenticationResult() {
        StringBuilder out = new StringBuilder("dkim=").append(status.token());
        if (!reason.isEmpty()) {
            out.append(" (").append(commentText(reason)).append(')');
        }
        // a d= or s= that is no DNS name (in a malformed signature) is left out rather than break the field's syntax
        if (domain != null && isToken(domain)) {
            out.append(" header.d=").append(domain);
        }
        if (selector != null && isToken(selector)) {
            out.append(" header.s=").append(selector);
        }
        return out.toString();
    }

    private static boolean isToken(String value) {
        return value.matches("[a-z0-9._-]+");
    }

    private static String commentText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '(' && c != ')' && c != '\\') {
                out.append(c);
            }
        }
        return out.toString().trim();
    }

    @Override
    public String toString() {
        return authenticationResult();
    }
}
