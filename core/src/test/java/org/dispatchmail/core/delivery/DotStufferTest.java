package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStufferTest {

    /** Feeds the message in chunks of the given size, as the client does with its read buffer. */
    private static String stuffed(String message, int chunk) {
        byte[] bytes = message.getBytes(StandardCharsets.US_ASCII);
        DotStuffer stuffer = new DotStuffer();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < bytes.length; i += chunk) {
            out.writeBytes(stuffer.stuff(bytes, i, Math.min(chunk, bytes.length - i)));
        }
        out.writeBytes(stuffer.terminator());
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void doublesLeadingDotsEvenAcrossChunkBoundaries() {
        String message = "a\r\n.b\r\n..c\r\n.\r\n";
        String expected = "a\r\n..b\r\n...c\r\n..\r\n.\r\n";
        for (int chunk = 1; chunk <= message.length(); chunk++) {
            assertThat(stuffed(message, chunk)).as("chunk size %d", chunk).isEqualTo(expected);
        }
    }

    @Test
    void leavesDotsInsideLinesAlone() {
        assertThat(stuffed("x.y\r\n", 64)).isEqualTo("x.y\r\n.\r\n");
    }

    @Test
    void addsTheMissingLineBreakBeforeTheTerminator() {
        assertThat(stuffed("no break", 64)).isEqualTo("no break\r\n.\r\n");
        assertThat(stuffed("half\r", 64)).isEqualTo("half\r\n.\r\n");
        assertThat(stuffed("bare\n", 64)).isEqualTo("bare\n\r\n.\r\n");
    }

    @Test
    void emptyMessageIsJustTheTerminator() {
        assertThat(stuffed("", 64)).isEqualTo(".\r\n");
    }
}
