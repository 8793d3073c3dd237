package org.dispatchmail.core.dkim;

import java.util.Arrays;

/** The "simple" canonicalization of RFC 6376 §3.4.1 and §3.4.3, which verifiers must support. */
final class SimpleCanonicalization {

    private static final byte[] CRLF = {'\r', '\n'};

    private SimpleCanonicalization() {
    }

    /** The field exactly as it is, without the final CRLF. */
    static String header(String fieldText) {
        return fieldText;
    }

    /**
     * The body from {@code bodyStart} of a CRLF message with the empty lines at its end removed; a last line without
     * CRLF gets one, and an empty body becomes one CRLF.
     */
    static byte[] body(byte[] message, int bodyStart) {
        int end = message.length;
        boolean lastLineEnded = end - bodyStart >= 2 && message[end - 2] == '\r' && message[end - 1] == '\n';
        if (!lastLineEnded) {
            if (end == bodyStart) {
                return CRLF.clone();
            }
            byte[] out = Arrays.copyOfRange(message, bodyStart, end + 2);
            out[out.length - 2] = '\r';
            out[out.length - 1] = '\n';
            return out;
        }
        // drop trailing CRLFs while the line before them is empty
        while (end - bodyStart >= 4 && message[end - 4] == '\r' && message[end - 3] == '\n') {
            end -= 2;
        }
        if (end - bodyStart == 2) {
            return CRLF.clone();
        }
        return Arrays.copyOfRange(message, bodyStart, end);
    }
}
