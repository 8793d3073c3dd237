package org.dispatchmail.core.dkim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Reads a DKIM tag=value list (RFC 6376 §3.2), such as a DNS key record. */
final class TagList {

    private TagList() {
    }

    /**
     * The tags by name with their values trimmed, or empty when the text is not a valid tag list: a part without
     * '=', a tag name that is not ALPHA *(ALPHA / DIGIT / "_"), or a tag given twice (which RFC 6376 forbids).
     */
    static Optional<Map<String, String>> parse(String text) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String spec : text.split(";", -1)) {
            if (spec.trim().isEmpty()) {
                continue; // a trailing ';' is allowed, and an empty part harms nothing
            }
            int equals = spec.indexOf('=');
            if (equals < 0) {
                return Optional.empty();
            }
            String name = spec.substring(0, equals).trim();
            if (!isTagName(name) || tags.containsKey(name)) {
                return Optional.empty();
            }
            tags.put(name, spec.substring(equals + 1).trim());
        }
        return Optional.of(tags);
    }

    /** The value without any whitespace, as base64 values and colon lists may be folded. */
    static String withoutWhitespace(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isTagName(String name) {
        if (name.isEmpty() || !isAlpha(name.charAt(0))) {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!isAlpha(c) && !(c >= '0' && c <= '9') && c != '_') {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
}
