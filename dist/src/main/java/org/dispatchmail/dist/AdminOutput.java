package org.dispatchmail.dist;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the answers of Dispatch's webadmin routes (a JSON array of flat objects whose values are
 * strings, null, or arrays of strings, read as one comma-separated string) and prints them for
 * people: tables, or zone-file lines to publish.
 */
final class AdminOutput {
    private AdminOutput() {
    }

    static List<Map<String, String>> parse(String json) {
        List<Map<String, String>> items = new ArrayList<>();
        Reader reader = new Reader(json);
        reader.expect('[');
        if (reader.peek() == ']') {
            return items;
        }
        do {
            Map<String, String> item = new LinkedHashMap<>();
            reader.expect('{');
            if (reader.peek() != '}') {
                do {
                    String key = reader.string();
                    reader.expect(':');
                    char next = reader.peek();
                    item.put(key, next == 'n' ? reader.nullValue() : next == '[' ? reader.strings() : reader.string());
                } while (reader.next(','));
            }
            reader.expect('}');
            items.add(item);
        } while (reader.next(','));
        reader.expect(']');
        return items;
    }

    static String usersTable(List<Map<String, String>> users) {
        if (users.isEmpty()) {
            return "No submission logins.";
        }
        StringBuilder text = new StringBuilder(String.format("%-32s %-22s %s%n", "LOGIN", "PASSWORD CHANGED", "MAY ALSO SEND AS"));
        for (Map<String, String> user : users) {
            text.append(String.format("%-32s %-22s %s%n", user.get("login"), user.get("passwordChangedAt"),
                user.get("allowedSenders").isEmpty() ? "-" : user.get("allowedSenders")));
        }
        return text.toString().trim();
    }

    static String table(List<Map<String, String>> keys) {
        if (keys.isEmpty()) {
            return "No DKIM keys.";
        }
        StringBuilder text = new StringBuilder(String.format("%-24s %-22s %-15s %-8s %-22s %s%n",
            "DOMAIN", "SELECTOR", "ALGORITHM", "STATE", "SINCE", "DELETE AFTER"));
        for (Map<String, String> key : keys) {
            String since = key.get("state").equals("active") ? key.get("activatedAt")
                : key.get("state").equals("retired") ? key.get("retiredAt") : key.get("createdAt");
            text.append(String.format("%-24s %-22s %-15s %-8s %-22s %s%n", key.get("domain"), key.get("selector"),
                key.get("algorithm"), key.get("state"), since, key.get("deleteAfter") == null ? "-" : key.get("deleteAfter")));
        }
        return text.toString().trim();
    }

    static String srsKeysTable(List<Map<String, String>> keys) {
        StringBuilder text = new StringBuilder(String.format("%-8s %-28s %s%n", "VERSION", "CREATED", "USE"));
        for (Map<String, String> key : keys) {
            text.append(String.format("%-8s %-28s %s%n", key.get("version"), key.get("createdAt"), key.get("use")));
        }
        return text.toString().trim();
    }

    /** Zone-file lines, each TXT value split in strings of at most 255 characters. */
    static String zoneLines(List<Map<String, String>> keys) {
        StringBuilder text = new StringBuilder();
        for (Map<String, String> key : keys) {
            text.append("; ").append(key.get("algorithm")).append(", ").append(key.get("state")).append('\n');
            text.append(key.get("dnsName")).append(". IN TXT (");
            String value = key.get("dnsValue");
            for (int i = 0; i < value.length(); i += 255) {
                text.append(" \"").append(value, i, Math.min(value.length(), i + 255)).append('"');
            }
            text.append(" )\n");
        }
        return text.toString().trim();
    }

    private static final class Reader {
        private final String text;
        private int at;

        Reader(String text) {
            this.text = text;
        }

        char peek() {
            skipSpace();
            if (at >= text.length()) {
                throw new IllegalArgumentException("unexpected end of the webadmin answer");
            }
            return text.charAt(at);
        }

        void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("unexpected '" + text.charAt(at) + "' in the webadmin answer at " + at);
            }
            at++;
        }

        boolean next(char c) {
            if (at < text.length() && peek() == c) {
                at++;
                return true;
            }
            return false;
        }

        String strings() {
            expect('[');
            List<String> values = new ArrayList<>();
            if (peek() != ']') {
                do {
                    values.add(string());
                } while (next(','));
            }
            expect(']');
            return String.join(", ", values);
        }

        String nullValue() {
            if (!text.startsWith("null", at)) {
                throw new IllegalArgumentException("expected null in the webadmin answer at " + at);
            }
            at += 4;
            return null;
        }

        String string() {
            expect('"');
            StringBuilder value = new StringBuilder();
            while (text.charAt(at) != '"') {
                char c = text.charAt(at++);
                if (c == '\\') {
                    char escaped = text.charAt(at++);
                    switch (escaped) {
                        case 'n':
                            value.append('\n');
                            break;
                        case 't':
                            value.append('\t');
                            break;
                        case 'r':
                            value.append('\r');
                            break;
                        case 'u':
                            value.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            at += 4;
                            break;
                        default:
                            value.append(escaped);
                    }
                } else {
                    value.append(c);
                }
            }
            at++;
            return value.toString();
        }

        private void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }
    }
}
