package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Messages signed here, with an RSA and an Ed25519 key at once, must verify with dkimpy, an independent
 * implementation; copies changed the way a forger would must not.
 */
class DkimpyVerificationTest {

    private static final String DOMAIN = "example.com";
    private static final SigningKey RSA = new SigningKey(DOMAIN, "rsa", TestKeys.RSA.privateKey());
    private static final SigningKey ED25519 = new SigningKey(DOMAIN, "ed", TestKeys.ED25519.privateKey());
    private static final Map<String, String> DNS = Map.of(
            DnsRecord.name("rsa", DOMAIN), DnsRecord.txtValue(RSA.key()),
            DnsRecord.name("ed", DOMAIN), DnsRecord.txtValue(ED25519.key()));

    private static final String PLAIN = "From: Alice <alice@example.com>\r\n"
            + "To: Bob <bob@example.org>\r\n"
            + "Subject: Lunch tomorrow\r\n"
            + "Date: Sat, 01 Jun 2024 12:00:00 +0000\r\n"
            + "Message-ID: <lunch-1@example.com>\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n"
            + "\r\n"
            + "Hi Bob,\r\n"
            + "\r\n"
            + "Noon at the usual place?\r\n"
            + "\r\n"
            + "Alice\r\n";

    private final DkimSigner signer = new DkimSigner(Clock.systemUTC());

    static Stream<Arguments> messages() {
        String longLine = "x".repeat(990);
        return Stream.of(
                Arguments.of("plain", PLAIN),
                Arguments.of("folded headers", "From: Alice\r\n  <alice@example.com>\r\n"
                        + "To: bob@example.org,\r\n\tcarol@example.org,\r\n    dave@example.org\r\n"
                        + "Subject: a subject that someone\r\n\tfolded over\r\n three lines\r\n"
                        + "Date: Sat, 01 Jun 2024 12:00:00 +0000\r\n\r\nbody\r\n"),
                Arguments.of("repeated headers", "Received: from a by b; Sat, 01 Jun 2024 12:00:02 +0000\r\n"
                        + "Received: from c by a; Sat, 01 Jun 2024 12:00:01 +0000\r\n"
                        + "From: alice@example.com\r\nTo: bob@example.org\r\nCc: one@example.org\r\n"
                        + "To: carol@example.org\r\nCc: two@example.org\r\nSubject: twice\r\n\r\nbody\r\n"),
                Arguments.of("whitespace everywhere", "From:   alice@example.com   \r\nSubject:\tspaced \t out  \r\n"
                        + "To: bob@example.org\t\r\n\r\n  leading\r\ntrailing   \t\r\nin  \t  between\r\n \t \r\nend\r\n"),
                Arguments.of("empty lines at the end", "From: alice@example.com\r\nSubject: x\r\n\r\nbody\r\n\r\n\r\n \r\n\r\n"),
                Arguments.of("empty body", "From: alice@example.com\r\nSubject: nothing\r\n\r\n"),
                Arguments.of("body of empty lines", "From: alice@example.com\r\nSubject: nothing\r\n\r\n\r\n\r\n"),
                Arguments.of("no final CRLF", "From: alice@example.com\r\nSubject: x\r\n\r\nlast line"),
                Arguments.of("8-bit UTF-8", "From: Zoë <zoe@example.com>\r\nTo: José <jose@example.org>\r\n"
                        + "Subject: Grüße aus Köln — 東京\r\nMIME-Version: 1.0\r\n"
                        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                        + "Ça va ? Ünïcödé, emoji \uD83D\uDE00, 日本語のテキスト.\r\n"),
                Arguments.of("long lines", "From: alice@example.com\r\nSubject: " + "long ".repeat(150) + "\r\n"
                        + "References: " + "<a-very-long-message-id@example.com> ".repeat(20).trim() + "\r\n\r\n"
                        + longLine + "\r\n" + longLine + " \r\n"),
                Arguments.of("multipart", "From: alice@example.com\r\nTo: bob@example.org\r\nSubject: files\r\n"
                        + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\n"
                        + "--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                        + "--b1\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + "AAECAwQFBgcICQ==\r\n--b1--\r\n"),
                Arguments.of("dot lines and From in the body", "From: alice@example.com\r\nSubject: dots\r\n\r\n"
                        + ".\r\n..\r\nFrom: not a header\r\n"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void dkimpyVerifiesBothSignatures(String name, String text) {
        byte[] message = text.getBytes(StandardCharsets.UTF_8);

        byte[] signed = DkimSigner.prepend(signer.sign(message, List.of(RSA, ED25519)), message);

        DkimpyVerifier.Result result = DkimpyVerifier.verify(signed, DNS);
        assertThat(result.signatureResults()).as("%s%n%s", name, result.output()).containsExactly(true, true);
    }

    @Test
    void bareLineFeedMessageVerifiesInItsWireForm() {
        byte[] message = PLAIN.replace("\r\n", "\n").getBytes(StandardCharsets.US_ASCII);

        List<String> fields = signer.sign(message, List.of(RSA, ED25519));

        DkimpyVerifier.Result result = DkimpyVerifier.verify(DkimSigner.prepend(fields, LineEndings.toCrlf(message)), DNS);
        assertThat(result.verified()).as(result.output()).isTrue();
    }

    @Test
    void changedBodyFails() {
        assertNoSignatureVerifies(signedPlain().replace("Noon at", "One at"));
    }

    @Test
    void appendedBodyLineFails() {
        assertNoSignatureVerifies(signedPlain() + "P.S. send money\r\n");
    }

    @Test
    void changedSignedHeaderFails() {
        assertNoSignatureVerifies(signedPlain().replace("Subject: Lunch tomorrow", "Subject: Lunch today"));
    }

    @Test
    void fromAddedAboveFails() {
        String signed = signedPlain();
        int top = signed.indexOf("From: Alice");
        assertNoSignatureVerifies(signed.substring(0, top) + "From: Mallory <m@evil.example>\r\n" + signed.substring(top));
    }

    @Test
    void fromAddedBelowFails() {
        assertNoSignatureVerifies(signedPlain().replace("\r\n\r\nHi Bob", "\r\nFrom: Mallory <m@evil.example>\r\n\r\nHi Bob"));
    }

    @Test
    void overSignedCcAddedFails() {
        // Cc was absent, so it is not signed; To is, and one more To is forbidden by over-signing
        assertNoSignatureVerifies(signedPlain().replace("\r\n\r\nHi Bob", "\r\nTo: extra@evil.example\r\n\r\nHi Bob"));
    }

    @Test
    void whatRelaysDoKeepsTheSignaturesValid() {
        String relayed = "Received: from relay by mx; Sat, 01 Jun 2024 12:00:05 +0000\r\n" + signedPlain()
                .replace("Subject: Lunch tomorrow", "Subject:  Lunch\r\n\ttomorrow ")
                .replace("\r\n\r\nHi Bob", "\r\nX-Spam-Score: 0\r\n\r\nHi Bob")
                .replace("Alice\r\n", "Alice   \r\n\r\n");

        DkimpyVerifier.Result result = DkimpyVerifier.verify(relayed.getBytes(StandardCharsets.UTF_8), DNS);

        assertThat(result.signatureResults()).as(result.output()).containsExactly(true, true);
    }

    private String signedPlain() {
        byte[] message = PLAIN.getBytes(StandardCharsets.US_ASCII);
        return new String(DkimSigner.prepend(signer.sign(message, List.of(RSA, ED25519)), message),
                StandardCharsets.US_ASCII);
    }

    private static void assertNoSignatureVerifies(String tampered) {
        DkimpyVerifier.Result result = DkimpyVerifier.verify(tampered.getBytes(StandardCharsets.UTF_8), DNS);
        assertThat(result.signatureResults()).as(result.output()).containsExactly(false, false);
    }
}
