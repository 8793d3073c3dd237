package org.dispatchmail.core.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * A message read from a stream in two steps: first its header block, which is kept (at most
 * {@link #MAX_HEADER_BYTES}), then its body, which is handed on in pieces of up to {@link #READ_SIZE} bytes and not
 * kept. The stream is read to its end but not closed.
 */
final class MessageStream {

    /** The longest header block read, the empty line that ends it included: 1 MiB. */
    static final int MAX_HEADER_BYTES = 1024 * 1024;
    static final int READ_SIZE = 64 * 1024;

    private final InputStream in;
    private final byte[] buffer = new byte[READ_SIZE];
    private byte[] header;
    /** Body bytes read with the end of the header block: {@code buffer[bodyOffset, bodyOffset + bodyLength)}. */
    private int bodyOffset;
    private int bodyLength;
    private boolean ended;

    private MessageStream(InputStream in) {
        this.in = in;
    }

    /**
     * Reads the header block: the lines up to and including the first empty one, or the whole message when it has
     * none (a message of header only). A line ends with CRLF or a bare LF, as for {@link LineEndings#toCrlf}.
     *
     * @throws IllegalArgumentException when the header block is longer than {@link #MAX_HEADER_BYTES}
     */
    static MessageStream readHeader(InputStream in) throws IOException {
        MessageStream message = new MessageStream(in);
        message.readHeaderBlock();
        return message;
    }

    /** The header block with CRLF line endings, the empty line that ends it included when there is one. */
    byte[] header() {
        return header;
    }

    /** Reads the rest of the stream, the body, into {@code hash}. */
    void readBody(RelaxedBodyHash hash) throws IOException {
        hash.update(buffer, bodyOffset, bodyLength);
        bodyLength = 0;
        while (!ended) {
            int read = in.read(buffer, 0, buffer.length);
            if (read < 0) {
                ended = true;
            } else {
                hash.update(buffer, 0, read);
            }
        }
    }

    private void readHeaderBlock() throws IOException {
        byte[] raw = new byte[4096];
        int length = 0;
        int lineLength = 0; // bytes since the last LF
        byte previous = 0;
        while (true) {
            int read = in.read(buffer, 0, buffer.length);
            if (read < 0) {
                ended = true;
                header = LineEndings.toCrlf(Arrays.copyOf(raw, length));
                return;
            }
            for (int i = 0; i < read; i++) {
                byte b = buffer[i];
                if (length == raw.length) {
                    if (length == MAX_HEADER_BYTES) {
                        throw new IllegalArgumentException("the message's header block is longer than "
                                + MAX_HEADER_BYTES + " bytes (1 MiB) before the empty line that ends it");
                    }
                    raw = Arrays.copyOf(raw, Math.min(MAX_HEADER_BYTES, 2 * length));
                }
                raw[length++] = b;
                if (b == '\n') {
                    // an empty line is a lone LF, or CR LF, where a line starts
                    if (lineLength == 0 || lineLength == 1 && previous == '\r') {
                        header = LineEndings.toCrlf(Arrays.copyOf(raw, length));
                        bodyOffset = i + 1;
                        bodyLength = read - bodyOffset;
                        return;
                    }
                    lineLength = 0;
                } else {
                    lineLength++;
                }
                previous = b;
            }
        }
    }
}
