package org.dispatchmail.core.dkim;

/** Brings a message to the CRLF line endings it has on the wire, which is what DKIM signs. */
final class LineEndings {

    private LineEndings() {
    }

    /** The message with every LF that has no CR before it turned into CRLF; the same array when there is none. */
    static byte[] toCrlf(byte[] message) {
        int bare = 0;
        for (int i = 0; i < message.length; i++) {
            if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
                bare++;
            }
        }
        if (bare == 0) {
            return message;
        }
        byte[] out = new byte[message.length + bare];
        int o = 0;
        for (int i = 0; i < message.length; i++) {
            if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) {
                out[o++] = '\r';
            }
            out[o++] = message[i];
        }
        return out;
    }
}
