package org.dispatchmail.core.delivery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/** The RFC 5322 message as stored, with CRLF line endings, ready to be sent after DATA. */
public interface MessageContent {

    long size();

    /** A fresh stream over the whole message; each delivery attempt opens its own. */
    InputStream open() throws IOException;

    /** Content held in memory, for small messages and tests. */
    static MessageContent ofBytes(byte[] bytes) {
        byte[] copy = bytes.clone();
        return new MessageContent() {
            @Override
            public long size() {
                return copy.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(copy);
            }
        };
    }
}
