package org.dispatchmail.core.dkim;

/**
 * One header field as it appears in the message: its name and its whole text, continuation lines included, without
 * the CRLF that ends it. Text is held as ISO-8859-1 so that every byte, 8-bit ones included, maps to one char.
 */
final class HeaderField {

    private final String name;
    private final String text;

    HeaderField(String text) {
        this.text = text;
        int colon = text.indexOf(':');
        // a line without a colon is no field; it keeps an empty name, which no signed name matches
        this.name = colon < 0 ? "" : stripTrailingWhitespace(text.substring(0, colon));
    }

    String name() {
        return name;
    }

    String text() {
        return text;
    }

    boolean hasName(String other) {
        return !name.isEmpty() && name.equalsIgnoreCase(other);
    }

    private static String stripTrailingWhitespace(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }
}
