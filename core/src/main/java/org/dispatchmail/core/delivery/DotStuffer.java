package org.dispatchmail.core.delivery;

import java.io.ByteArrayOutputStream;

/**
 * Turns message bytes into the DATA stream (RFC 5321 §4.5.2): a '.' that starts a line gets a second '.', and the
 * stream ends with CRLF "." CRLF, adding a CRLF first when the message does not end with one. Everything else is
 * passed through unchanged.
 */
final class DotStuffer {

    private boolean atLineStart = true;
    private int previous = -1;
    private int last = -1;
    private long count;

    /** The stuffed form of {@code length} bytes of message starting at {@code offset}. */
    byte[] stuff(byte[] bytes, int offset, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 16);
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (atLineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            atLineStart = b == '\n';
            previous = last;
            last = b & 0xff;
        }
        count += length;
        return out.toByteArray();
    }

    /** The bytes that end the DATA stream after all of the message has been given to {@link #stuff}. */
    byte[] terminator() {
        if (count == 0 || (previous == '\r' && last == '\n')) {
            return new byte[] {'.', '\r', '\n'};
        }
        if (last == '\r') {
            return new byte[] {'\n', '.', '\r', '\n'};
        }
        return new byte[] {'\r', '\n', '.', '\r', '\n'};
    }
}
