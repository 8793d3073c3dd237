package org.dispatchmail.core.dkim;

import java.util.Arrays;

/** The "relaxed" header and body canonicalization of RFC 6376 §3.4.2 and §3.4.4. */
final class RelaxedCanonicalization {

    private RelaxedCanonicalization() {
    }

    /**
     * "name:value" without the final CRLF: the name lowercased, the value unfolded, every run of spaces and tabs made
     * one space, and the whitespace around the colon and at the end removed.
     */
    static String header(String fieldText) {
        int colon = fieldText.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("not a header field (no colon): " + fieldText);
        }
        StringBuilder out = new StringBuilder(fieldText.length());
        appendLowercaseAscii(out, fieldText, 0, colon);
        int nameEnd = out.length();
        while (nameEnd > 0 && isWsp(out.charAt(nameEnd - 1))) {
            nameEnd--;
        }
        out.setLength(nameEnd);
        out.append(':');
        boolean pendingSpace = false;
        boolean valueStarted = false;
        for (int i = colon + 1; i < fieldText.length(); i++) {
            char c = fieldText.charAt(i);
            if (c == '\r' && i + 1 < fieldText.length() && fieldText.charAt(i + 1) == '\n') {
                i++; // unfolding: the CRLF of a continuation goes, the whitespace after it stays
                continue;
            }
            if (isWsp(c)) {
                pendingSpace = valueStarted;
                continue;
            }
            if (pendingSpace) {
                out.append(' ');
                pendingSpace = false;
            }
            out.append(c);
            valueStarted = true;
        }
        return out.toString();
    }

    /**
     * The canonical body from {@code bodyStart} to the end of a CRLF message: runs of spaces and tabs become one space,
     * whitespace at line ends goes, empty lines at the end go, and a last line without CRLF gets one. An empty body,
     * or one of only empty lines, is empty (RFC 6376 erratum 1384 made relaxed differ from simple there).
     */
    static byte[] body(byte[] message, int bodyStart) {
        byte[] out = new byte[maxBodyLength(message, bodyStart)];
        return Arrays.copyOf(out, body(message, bodyStart, out));
    }

    /** Room enough for the canonical body: it never grows, except for the CRLF a last line may get. */
    private static int maxBodyLength(byte[] message, int bodyStart) {
        return message.length - bodyStart + 2;
    }

    /** Writes the canonical body into {@code out} (of {@link #maxBodyLength} bytes) and returns its length. */
    private static int body(byte[] message, int bodyStart, byte[] out) {
        int o = 0;
        int pendingEmptyLines = 0;
        boolean lineHasContent = false;
        boolean pendingSpace = false;
        int i = bodyStart;
        while (i < message.length) {
            byte b = message[i];
            if (b == '\r' && i + 1 < message.length && message[i + 1] == '\n') {
                if (lineHasContent) {
                    out[o++] = '\r';
                    out[o++] = '\n';
                } else {
                    pendingEmptyLines++;
                }
                lineHasContent = false;
                pendingSpace = false;
                i += 2;
                continue;
            }
            if (b == ' ' || b == '\t') {
                pendingSpace = true;
                i++;
                continue;
            }
            // a run of bytes that stay as they are, copied at once: most of a body, and all of a base64 attachment
            int runEnd = i + 1;
            while (runEnd < message.length) {
                byte c = message[runEnd];
                if (c == '\r' || c == ' ' || c == '\t') {
                    break;
                }
                runEnd++;
            }
            if (!lineHasContent) {
                // the empty lines before this one were not at the end after all
                for (; pendingEmptyLines > 0; pendingEmptyLines--) {
                    out[o++] = '\r';
                    out[o++] = '\n';
                }
                lineHasContent = true;
            }
            if (pendingSpace) {
                out[o++] = ' ';
                pendingSpace = false;
            }
            System.arraycopy(message, i, out, o, runEnd - i);
            o += runEnd - i;
            i = runEnd;
        }
        if (lineHasContent) {
            out[o++] = '\r';
            out[o++] = '\n';
        }
        return o;
    }

    private static void appendLowercaseAscii(StringBuilder out, String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
    }

    private static boolean isWsp(char c) {
        return c == ' ' || c == '\t';
    }
}
