package org.dispatchmail.core.delivery;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The ESMTP extensions a server listed in its EHLO reply (keyword to parameters). */
final class Extensions {

    static final Extensions NONE = new Extensions(Collections.emptyMap());

    private final Map<String, String> parameters;

    private Extensions(Map<String, String> parameters) {
        this.parameters = parameters;
    }

    static Extensions of(SmtpReply ehlo) {
        Map<String, String> parameters = new HashMap<>();
        List<String> lines = ehlo.lines();
        // the first line is the server's name and greeting, the others each name an extension
        for (String line : lines.subList(1, lines.size())) {
            String[] parts = line.trim().split("[ =]", 2);
            String keyword = parts[0].toUpperCase(Locale.ROOT);
            if (!keyword.isEmpty()) {
                String value = parts.length > 1 ? parts[1].trim() : "";
                // "AUTH=LOGIN" (pre-standard) and "AUTH PLAIN LOGIN" may both appear: keep every mechanism
                parameters.merge(keyword, value, (a, b) -> a.isEmpty() ? b : b.isEmpty() ? a : a + " " + b);
            }
        }
        return new Extensions(Collections.unmodifiableMap(parameters));
    }

    boolean has(String keyword) {
        return parameters.containsKey(keyword);
    }

    /** The SIZE limit in bytes (RFC 1870), 0 when the server declares none. */
    long maxSize() {
        String value = parameters.get("SIZE");
        if (value == null || value.isEmpty()) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.split(" ")[0]));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The SASL mechanisms offered, upper case. */
    Set<String> authMechanisms() {
        Set<String> mechanisms = new LinkedHashSet<>();
        String value = parameters.get("AUTH");
        if (value != null) {
            for (String mechanism : value.split(" +")) {
                if (!mechanism.isEmpty()) {
                    mechanisms.add(mechanism.toUpperCase(Locale.ROOT));
                }
            }
        }
        return mechanisms;
    }

    @Override
    public String toString() {
        return parameters.keySet().toString();
    }
}
