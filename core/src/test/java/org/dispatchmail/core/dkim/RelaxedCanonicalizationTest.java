package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RelaxedCanonicalizationTest {

    /** RFC 6376 §3.4.6, the example of relaxed/relaxed. */
    private static final String RFC6376_EXAMPLE = "A: X\r\n"
            + "B : Y\t\r\n"
            + "\tZ  \r\n"
            + "\r\n"
            + " C \r\n"
            + "D \t E\r\n"
            + "\r\n"
            + "\r\n";

    @Test
    void rfc6376ExampleHeaders() {
        MessageParts parts = MessageParts.split(bytes(RFC6376_EXAMPLE));

        String canonical = parts.headers().stream()
                .map(field -> RelaxedCanonicalization.header(field.text()) + "\r\n")
                .collect(Collectors.joining());

        assertThat(canonical).isEqualTo("a:X\r\nb:Y Z\r\n");
    }

    @Test
    void rfc6376ExampleBody() {
        byte[] message = bytes(RFC6376_EXAMPLE);

        assertThat(body(message)).isEqualTo(" C\r\nD E\r\n");
    }

    @Test
    void headerNameIsLowercasedButValueKeepsItsCase() {
        assertThat(RelaxedCanonicalization.header("SubJect:  Hello   World  ")).isEqualTo("subject:Hello World");
    }

    @Test
    void headerUnfoldsEveryContinuationLine() {
        assertThat(RelaxedCanonicalization.header("To: a@example.com,\r\n b@example.com,\r\n\t\tc@example.com"))
                .isEqualTo("to:a@example.com, b@example.com, c@example.com");
    }

    @Test
    void headerWithEmptyValue() {
        assertThat(RelaxedCanonicalization.header("Subject:   ")).isEqualTo("subject:");
        assertThat(RelaxedCanonicalization.header("Subject:")).isEqualTo("subject:");
    }

    @Test
    void headerKeepsEightBitBytes() {
        String utf8AsLatin1 = new String("Subject: Grüße".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);

        String canonical = RelaxedCanonicalization.header(utf8AsLatin1);

        assertThat(new String(canonical.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8))
                .isEqualTo("subject:Grüße");
    }

    @Test
    void headerWithoutColonIsRefused() {
        assertThatThrownBy(() -> RelaxedCanonicalization.header("no colon here"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void emptyBodyIsEmpty() {
        assertThat(body(bytes("From: a@example.com\r\n\r\n"))).isEmpty();
        assertThat(body(bytes("From: a@example.com\r\n"))).isEmpty();
    }

    @Test
    void bodyOfOnlyEmptyOrBlankLinesIsEmpty() {
        assertThat(body(bytes("From: a@example.com\r\n\r\n\r\n\r\n"))).isEmpty();
        assertThat(body(bytes("From: a@example.com\r\n\r\n \t \r\n  \r\n"))).isEmpty();
    }

    @Test
    void lastLineWithoutCrlfGetsOne() {
        assertThat(body(bytes("From: a@example.com\r\n\r\nno break"))).isEqualTo("no break\r\n");
        assertThat(body(bytes("From: a@example.com\r\n\r\nline\r\n   "))).isEqualTo("line\r\n");
    }

    @Test
    void emptyLinesInsideTheBodyStay() {
        assertThat(body(bytes("From: a@example.com\r\n\r\n\r\na\r\n\r\n \r\nb\r\n\r\n")))
                .isEqualTo("\r\na\r\n\r\n\r\nb\r\n");
    }

    @Test
    void leadingWhitespaceBecomesOneSpace() {
        assertThat(body(bytes("From: a@example.com\r\n\r\n\t\t  indented  text \t\r\n")))
                .isEqualTo(" indented text\r\n");
    }

    @Test
    void bareCarriageReturnIsAnOrdinaryCharacter() {
        assertThat(body(bytes("From: a@example.com\r\n\r\na\rb \r\n"))).isEqualTo("a\rb\r\n");
    }

    private static String body(byte[] message) {
        MessageParts parts = MessageParts.split(message);
        return new String(RelaxedCanonicalization.body(message, parts.bodyStart()), StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
