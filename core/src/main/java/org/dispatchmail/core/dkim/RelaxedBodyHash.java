package org.dispatchmail.core.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;

/**
 * The SHA-256 of a relaxed body (RFC 6376 §3.4.4), computed as the body goes by, in pieces of any size: runs of
 * spaces and tabs become one space, whitespace at line ends goes, empty lines at the end go, and a last line without
 * a line ending gets CRLF; an empty body, or one of only empty or blank lines, hashes as nothing. A bare LF ends a
 * line as CRLF does (the message goes on the wire that way); a CR not followed by LF is an ordinary character. This is
 * exactly {@link RelaxedCanonicalization#body} of the body brought to CRLF by {@link LineEndings#toCrlf}.
 *
 * <p>Memory does not grow with the body or its lines: nothing is kept of a line but whether it has content, whether
 * whitespace is pending and whether its last byte was a CR; of the empty lines seen, only their number, as they are
 * hashed only once a line with content follows them. Not thread-safe; one instance per body.
 */
final class RelaxedBodyHash {

    private static final byte[] CRLF = {'\r', '\n'};

    private final MessageDigest sha256;
    /** Canonical bytes not yet given to the digest, so that a space or a line ending is not a call of its own. */
    private final byte[] out = new byte[8192];
    private int outLength;

    /** Empty lines seen since the last line with content: hashed when another line with content comes. */
    private long pendingEmptyLines;
    private boolean lineHasContent;
    private boolean pendingSpace;
    /** The last byte was a CR: a line ending if LF comes next, an ordinary character otherwise. */
    private boolean pendingCr;
    private boolean finished;

    RelaxedBodyHash() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The hash of the body from {@code bodyStart} to the end of {@code message}. */
    static byte[] of(byte[] message, int bodyStart) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        hash.update(message, bodyStart, message.length - bodyStart);
        return hash.digest();
    }

    /** Takes the next {@code len} bytes of the body. A CRLF may be split between two calls. */
    void update(byte[] buf, int off, int len) {
        Objects.checkFromIndexSize(off, len, buf.length);
        if (finished) {
            throw new IllegalStateException("the body hash is already computed");
        }
        int end = off + len;
        int i = off;
        while (i < end) {
            byte b = buf[i];
            if (pendingCr) {
                pendingCr = false;
                if (b == '\n') {
                    endLine();
                    i++;
                    continue;
                }
                content();
                write((byte) '\r');
            }
            if (b == '\r') {
                pendingCr = true;
                i++;
            } else if (b == '\n') {
                endLine();
                i++;
            } else if (b == ' ' || b == '\t') {
                pendingSpace = true;
                i++;
            } else {
                // a run of bytes that stay as they are, taken at once: most of a body, and all of a base64 attachment
                int runEnd = i + 1;
                while (runEnd < end) {
                    byte c = buf[runEnd];
                    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') {
                        break;
                    }
                    runEnd++;
                }
                content();
                write(buf, i, runEnd - i);
                i = runEnd;
            }
        }
    }

    /** The SHA-256 of the canonical body; the end of the body, after which no more can be added. */
    byte[] digest() {
        if (finished) {
            throw new IllegalStateException("the body hash is already computed");
        }
        if (pendingCr) {
            // a CR at the very end is an ordinary character, on a line that gets its CRLF below
            pendingCr = false;
            content();
            write((byte) '\r');
        }
        if (lineHasContent) {
            write(CRLF, 0, 2);
        }
        flush();
        finished = true;
        return sha256.digest();
    }

    /**
     * Before a byte that stays: the empty lines before it were not at the end after all, and whitespace pending
     * before it is one space.
     */
    private void content() {
        if (!lineHasContent) {
            for (; pendingEmptyLines > 0; pendingEmptyLines--) {
                write(CRLF, 0, 2);
            }
            lineHasContent = true;
        }
        if (pendingSpace) {
            write((byte) ' ');
            pendingSpace = false;
        }
    }

    /** A line ending: whitespace before it goes; an empty (or blank) line waits to see whether more content follows. */
    private void endLine() {
        if (lineHasContent) {
            write(CRLF, 0, 2);
        } else {
            pendingEmptyLines++;
        }
        lineHasContent = false;
        pendingSpace = false;
    }

    private void write(byte b) {
        if (outLength == out.length) {
            flush();
        }
        out[outLength++] = b;
    }

    private void write(byte[] bytes, int off, int len) {
        if (len > out.length - outLength) {
            flush();
            if (len >= out.length) {
                sha256.update(bytes, off, len);
                return;
            }
        }
        System.arraycopy(bytes, off, out, outLength, len);
        outLength += len;
    }

    private void flush() {
        sha256.update(out, 0, outLength);
        outLength = 0;
    }
}
