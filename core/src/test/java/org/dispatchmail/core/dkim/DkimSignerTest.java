package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;

class DkimSignerTest {

    private static final long NOW = 1_717_171_717L;
    private static final String MESSAGE = "Received: from client by submission\r\n"
            + "From: Alice <alice@example.com>\r\n"
            + "To: Bob <bob@example.org>\r\n"
            + "To: Carol <carol@example.org>\r\n"
            + "Subject: Lunch\r\n"
            + "Date: Sat, 1 Jun 2024 12:00:00 +0000\r\n"
            + "Message-ID: <1@example.com>\r\n"
            + "X-Mailer: test\r\n"
            + "\r\n"
            + "Noon?\r\n";

    private final DkimSigner signer = new DkimSigner(Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));

    @Test
    void signsPresentHeadersAndOverSignsEachOnce() {
        String field = signer.sign(bytes(MESSAGE), List.of(edKey("example.com", "s1"))).get(0);

        assertThat(Rfc8463VectorTest.tag(field, "h"))
                .isEqualTo("from:to:to:subject:date:message-id:from:to:subject:date:message-id");
    }

    @Test
    void writesTheTagsInOrderWithTheClocksTime() {
        String field = signer.sign(bytes(MESSAGE), List.of(edKey("Example.COM", "S1"))).get(0);
        String unfolded = field.replace("\r\n", "");

        assertThat(unfolded).startsWith("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com;"
                + " s=s1; t=" + NOW + "; h=");
        assertThat(unfolded).contains("; bh=").contains("; b=").doesNotContain(" l=").doesNotContain(" x=");
    }

    @Test
    void oneFieldPerKeyInKeyOrderWithTheSameBodyHash() {
        List<String> fields = signer.sign(bytes(MESSAGE), List.of(
                edKey("example.com", "ed"),
                new SigningKey("example.com", "rsa", TestKeys.RSA.privateKey()),
                edKey("other.example", "ed2")));

        assertThat(fields).hasSize(3);
        assertThat(Rfc8463VectorTest.tag(fields.get(0), "s")).isEqualTo("ed");
        assertThat(Rfc8463VectorTest.tag(fields.get(1), "s")).isEqualTo("rsa");
        assertThat(Rfc8463VectorTest.tag(fields.get(1), "a")).isEqualTo("rsa-sha256");
        assertThat(Rfc8463VectorTest.tag(fields.get(2), "d")).isEqualTo("other.example");
        assertThat(fields).extracting(field -> Rfc8463VectorTest.tag(field, "bh")).containsOnly(
                Rfc8463VectorTest.tag(fields.get(0), "bh"));
    }

    @Test
    void noKeysGiveNoFields() {
        assertThat(signer.sign(bytes(MESSAGE), List.of())).isEmpty();
    }

    @Test
    void foldsEveryLineWithinSeventyEightColumns() {
        // 71 characters: d= then fills a line of its own (a longer name cannot be folded, as d= takes no FWS)
        String longDomain = "a-rather-long-subdomain-label-that-goes-on-for-a-while.mail.example.com";
        byte[] message = bytes("From: a@example.com\r\nTo: b@example.org\r\nCc: c@example.org\r\nSubject: s\r\n"
                + "Date: Sat, 1 Jun 2024 12:00:00 +0000\r\nMessage-ID: <x@y>\r\nReply-To: r@example.com\r\n"
                + "In-Reply-To: <p@q>\r\nReferences: <p@q>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nx\r\n");

        List<String> fields = signer.sign(message, List.of(
                new SigningKey(longDomain, "selector-2024-06", TestKeys.RSA.privateKey()),
                new SigningKey(longDomain, "selector-2024-06-ed", TestKeys.ED25519.privateKey())));

        for (String field : fields) {
            assertThat(field).endsWith("\r\n").doesNotEndWith("\r\n\r\n");
            String[] lines = field.substring(0, field.length() - 2).split("\r\n", -1);
            assertThat(lines.length).isGreaterThan(3);
            for (int i = 0; i < lines.length; i++) {
                assertThat(lines[i].length()).as("line %d of%n%s", i, field).isLessThanOrEqualTo(78);
                assertThat(lines[i].trim()).as("line %d is not blank", i).isNotEmpty();
                if (i > 0) {
                    assertThat(lines[i]).as("continuation line %d", i).startsWith(" ");
                }
            }
            assertThat(field.chars().allMatch(c -> c < 128)).isTrue();
        }
        assertThat(Rfc8463VectorTest.tag(fields.get(0), "h")).isEqualTo("from:to:cc:subject:date:message-id:reply-to:"
                + "in-reply-to:references:mime-version:content-type:from:to:cc:subject:date:message-id:reply-to:"
                + "in-reply-to:references:mime-version:content-type");
    }

    @Test
    void bareLineFeedsSignLikeCrlf() {
        byte[] crlf = bytes(MESSAGE);
        byte[] lf = bytes(MESSAGE.replace("\r\n", "\n"));
        List<SigningKey> keys = List.of(edKey("example.com", "s1"), new SigningKey("example.com", "s2",
                TestKeys.RSA.privateKey()));

        // both algorithms are deterministic, so equal inputs give equal fields
        assertThat(signer.sign(lf, keys)).isEqualTo(signer.sign(crlf, keys));
    }

    @Test
    void emptyBodyHashesAsTheEmptyString() {
        // RFC 6376 erratum 1384: relaxed turns an empty body into nothing, not into one CRLF as simple does
        String sha256OfNothing = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        for (String message : List.of("From: a@example.com\r\n\r\n", "From: a@example.com\r\n",
                "From: a@example.com\r\n\r\n\r\n \t\r\n")) {
            String field = signer.sign(bytes(message), List.of(edKey("example.com", "s1"))).get(0);
            assertThat(Rfc8463VectorTest.tag(field, "bh")).as(message).isEqualTo(sha256OfNothing);
        }
    }

    @Test
    void messageWithoutFromIsRefused() {
        byte[] message = bytes("To: b@example.org\r\nSubject: x\r\n\r\nbody\r\n");

        assertThatThrownBy(() -> signer.sign(message, List.of(edKey("example.com", "s1"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("From");
    }

    @Test
    void fromInTheBodyDoesNotCount() {
        byte[] message = bytes("Subject: x\r\n\r\nFrom: a@example.com\r\n");

        assertThatThrownBy(() -> signer.sign(message, List.of(edKey("example.com", "s1"))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prependPutsTheFieldsFirstInOrder() {
        byte[] signed = DkimSigner.prepend(List.of("A: 1\r\n", "B: 2\r\n"), bytes("From: x\r\n\r\nbody\r\n"));

        assertThat(new String(signed, StandardCharsets.US_ASCII)).isEqualTo("A: 1\r\nB: 2\r\nFrom: x\r\n\r\nbody\r\n");
    }

    @Test
    void ed25519SignatureCoversTheSha256OfTheHeaderDataWithTheFieldItselfLast() throws Exception {
        String field = signer.sign(bytes(MESSAGE), List.of(edKey("example.com", "s1"))).get(0);
        String unsigned = field.substring(0, field.length() - 2).replaceAll("b=[^;]*$", "b=");
        MessageParts parts = MessageParts.split(bytes(MESSAGE));
        StringBuilder data = new StringBuilder();
        for (HeaderField selected : HeaderSelection.select(parts.headers(),
                List.of(Rfc8463VectorTest.tag(field, "h").split(":")))) {
            data.append(RelaxedCanonicalization.header(selected.text())).append("\r\n");
        }
        data.append(RelaxedCanonicalization.header(unsigned));
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                .digest(data.toString().getBytes(StandardCharsets.ISO_8859_1));

        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(
                Base64.getDecoder().decode(TestKeys.ED25519.privateKey().publicKeyBase64()), 0));
        verifier.update(digest, 0, digest.length);

        assertThat(verifier.verifySignature(Base64.getDecoder().decode(Rfc8463VectorTest.tag(field, "b")))).isTrue();
    }

    private static SigningKey edKey(String domain, String selector) {
        return new SigningKey(domain, selector, TestKeys.ED25519.privateKey());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
