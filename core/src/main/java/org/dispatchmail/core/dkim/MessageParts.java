package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** A CRLF message split at its first empty line into header fields and the body. */
final class MessageParts {

    private final List<HeaderField> headers;
    private final int bodyStart;

    private MessageParts(List<HeaderField> headers, int bodyStart) {
        this.headers = Collections.unmodifiableList(headers);
        this.bodyStart = bodyStart;
    }

    /**
     * Splits a message whose lines end with CRLF. A line that starts with a space or tab continues the field before
     * it. Without an empty line the whole message is header and the body is empty.
     */
    static MessageParts split(byte[] message) {
        List<HeaderField> headers = new ArrayList<>();
        int fieldStart = -1;
        int lineStart = 0;
        while (lineStart < message.length) {
            int lineEnd = indexOfCrlf(message, lineStart);
            boolean lastLine = lineEnd < 0;
            if (lastLine) {
                lineEnd = message.length;
            }
            if (lineEnd == lineStart && !lastLine) {
                // the empty line: the body starts after it
                addField(headers, message, fieldStart, lineStart - 2);
                return new MessageParts(headers, lineStart + 2);
            }
            boolean continuation = message[lineStart] == ' ' || message[lineStart] == '\t';
            if (!continuation || fieldStart < 0) {
                addField(headers, message, fieldStart, lineStart - 2);
                fieldStart = lineStart;
            }
            lineStart = lastLine ? message.length : lineEnd + 2;
        }
        int end = message.length >= 2 && message[message.length - 2] == '\r' && message[message.length - 1] == '\n'
                ? message.length - 2 : message.length;
        addField(headers, message, fieldStart, end);
        return new MessageParts(headers, message.length);
    }

    List<HeaderField> headers() {
        return headers;
    }

    /** Index of the first body byte in the message (its length when the body is empty). */
    int bodyStart() {
        return bodyStart;
    }

    int count(String name) {
        int count = 0;
        for (HeaderField field : headers) {
            if (field.hasName(name)) {
                count++;
            }
        }
        return count;
    }

    private static void addField(List<HeaderField> headers, byte[] message, int start, int end) {
        if (start >= 0 && end >= start) {
            headers.add(new HeaderField(new String(message, start, end - start, StandardCharsets.ISO_8859_1)));
        }
    }

    static int indexOfCrlf(byte[] bytes, int from) {
        for (int i = from; i < bytes.length - 1; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
