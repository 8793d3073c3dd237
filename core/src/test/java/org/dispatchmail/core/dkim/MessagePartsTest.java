package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MessagePartsTest {

    @Test
    void splitsAtTheFirstEmptyLineAndJoinsContinuationLines() {
        byte[] message = bytes("A: 1\r\nB: 2\r\n  more\r\nA: 3\r\n\r\nbody\r\n\r\nC: not a header\r\n");

        MessageParts parts = MessageParts.split(message);

        assertThat(texts(parts)).containsExactly("A: 1", "B: 2\r\n  more", "A: 3");
        assertThat(new String(message, parts.bodyStart(), message.length - parts.bodyStart(), StandardCharsets.US_ASCII))
                .isEqualTo("body\r\n\r\nC: not a header\r\n");
    }

    @Test
    void messageWithoutEmptyLineIsAllHeader() {
        byte[] withCrlf = bytes("From: a@example.com\r\nSubject: x\r\n");
        byte[] withoutCrlf = bytes("From: a@example.com\r\nSubject: x");

        assertThat(texts(MessageParts.split(withCrlf))).containsExactly("From: a@example.com", "Subject: x");
        assertThat(MessageParts.split(withCrlf).bodyStart()).isEqualTo(withCrlf.length);
        assertThat(texts(MessageParts.split(withoutCrlf))).containsExactly("From: a@example.com", "Subject: x");
    }

    @Test
    void namesAreMatchedWithoutCaseAndWithoutWhitespaceBeforeTheColon() {
        MessageParts parts = MessageParts.split(bytes("FROM: a\r\nfrom : b\r\nFrom-Not: c\r\nno colon\r\n\r\n"));

        assertThat(parts.count("From")).isEqualTo(2);
        assertThat(parts.headers().get(3).name()).isEmpty();
    }

    @Test
    void bareLineFeedsBecomeCrlf() {
        assertThat(LineEndings.toCrlf(bytes("a\nb\r\nc\n\n"))).isEqualTo(bytes("a\r\nb\r\nc\r\n\r\n"));
        assertThat(LineEndings.toCrlf(bytes("\nx"))).isEqualTo(bytes("\r\nx"));
    }

    @Test
    void crlfMessageIsReturnedAsItIs() {
        byte[] message = bytes("a\r\nb\r\n");

        assertThat(LineEndings.toCrlf(message)).isSameAs(message);
    }

    private static List<String> texts(MessageParts parts) {
        return parts.headers().stream().map(HeaderField::text).collect(Collectors.toList());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
