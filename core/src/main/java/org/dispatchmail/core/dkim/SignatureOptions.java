package org.dispatchmail.core.dkim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Choices the public signer never needs but a published example does: an exact h= list (with its separator) and
 * extra tags after d=, such as RFC 8463's i= and q=. Reproducing those examples byte for byte is how the tests check
 * canonicalization and both algorithms against the RFC.
 */
final class SignatureOptions {

    static final SignatureOptions STANDARD = new SignatureOptions(null, ":", List.of());

    private final List<String> headerNames;
    private final String headerSeparator;
    private final List<String[]> tagsAfterDomain;

    private SignatureOptions(List<String> headerNames, String headerSeparator, List<String[]> tagsAfterDomain) {
        this.headerNames = headerNames;
        this.headerSeparator = headerSeparator;
        this.tagsAfterDomain = tagsAfterDomain;
    }

    /** Signs exactly these names in this order, written with this separator (e.g. " : "). */
    SignatureOptions withHeaderNames(List<String> names, String separator) {
        if (separator.trim().equals(":") && !names.isEmpty()) {
            return new SignatureOptions(List.copyOf(names), separator, tagsAfterDomain);
        }
        throw new IllegalArgumentException("the h= separator must be a colon, optionally with whitespace, and names given");
    }

    /** Adds name=value after d= (tags are written in the order they are added). */
    SignatureOptions withTagAfterDomain(String name, String value) {
        List<String[]> tags = new ArrayList<>(tagsAfterDomain);
        tags.add(new String[] {name, value});
        return new SignatureOptions(headerNames, headerSeparator, Collections.unmodifiableList(tags));
    }

    /** The exact names to sign, or null to choose them from the message. */
    List<String> headerNames() {
        return headerNames;
    }

    String headerSeparator() {
        return headerSeparator;
    }

    List<String[]> tagsAfterDomain() {
        return tagsAfterDomain;
    }
}
