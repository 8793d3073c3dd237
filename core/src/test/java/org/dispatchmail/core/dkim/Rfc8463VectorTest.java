package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * RFC 8463 Appendix A, byte for byte. RSASSA-PKCS1-v1_5 and Ed25519 are deterministic, so the same keys over the
 * same canonical data must give the published b= values: this checks body and header canonicalization, header
 * selection, the signature field's own canonical form, both key formats and the Ed25519-over-SHA-256 rule at once.
 */
class Rfc8463VectorTest {

    private final DkimSigner signer =
            new DkimSigner(Clock.fixed(Instant.ofEpochSecond(Rfc8463Example.TIMESTAMP), ZoneOffset.UTC));

    private final SignatureOptions rfcLayout = SignatureOptions.STANDARD
            .withHeaderNames(List.of(Rfc8463Example.HEADER_LIST.split(" : ")), " : ")
            .withTagAfterDomain("i", "@football.example.com")
            .withTagAfterDomain("q", "dns/txt");

    @Test
    void reproducesBothPublishedSignatures() {
        List<String> fields = signer.sign(Rfc8463Example.message(),
                List.of(Rfc8463Example.ed25519Key(), Rfc8463Example.rsaKey()), rfcLayout);

        assertThat(fields).hasSize(2);
        assertThat(tag(fields.get(0), "bh")).isEqualTo(Rfc8463Example.BODY_HASH);
        assertThat(tag(fields.get(1), "bh")).isEqualTo(Rfc8463Example.BODY_HASH);
        assertThat(tag(fields.get(0), "b")).isEqualTo(Rfc8463Example.ED25519_SIGNATURE);
        assertThat(tag(fields.get(1), "b")).isEqualTo(Rfc8463Example.RSA_SIGNATURE);
    }

    @Test
    void signatureFieldsCanonicalizeLikeThePublishedOnes() {
        List<String> fields = signer.sign(Rfc8463Example.message(),
                List.of(Rfc8463Example.ed25519Key(), Rfc8463Example.rsaKey()), rfcLayout);

        assertThat(canonical(fields.get(0))).isEqualTo(canonical(Rfc8463Example.ED25519_FIELD));
        assertThat(canonical(fields.get(1))).isEqualTo(canonical(Rfc8463Example.RSA_FIELD));
    }

    @Test
    void publicKeysAreThePublishedOnes() {
        assertThat(Rfc8463Example.ed25519Key().key().publicKeyBase64()).isEqualTo(Rfc8463Example.ED25519_PUBLIC);
        assertThat(Rfc8463Example.rsaKey().key().publicKeyBase64()).isEqualTo(Rfc8463Example.RSA_PUBLIC);
    }

    @Test
    void bodyHashOfTheExampleBody() throws Exception {
        byte[] message = Rfc8463Example.message();
        MessageParts parts = MessageParts.split(message);
        byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                .digest(RelaxedCanonicalization.body(message, parts.bodyStart()));
        assertThat(java.util.Base64.getEncoder().encodeToString(hash)).isEqualTo(Rfc8463Example.BODY_HASH);
    }

    @Test
    void dkimpyVerifiesTheReproducedMessage() {
        List<String> fields = signer.sign(Rfc8463Example.message(),
                List.of(Rfc8463Example.ed25519Key(), Rfc8463Example.rsaKey()), rfcLayout);
        DkimpyVerifier.Result result = DkimpyVerifier.verify(DkimSigner.prepend(fields, Rfc8463Example.message()), Map.of(
                "brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=" + Rfc8463Example.ED25519_PUBLIC,
                "test._domainkey.football.example.com", "v=DKIM1; k=rsa; p=" + Rfc8463Example.RSA_PUBLIC));

        assertThat(result.signatureResults()).as(result.output()).containsExactly(true, true);
    }

    /** A tag's value from a folded field, whitespace removed. */
    static String tag(String field, String name) {
        String unfolded = field.substring(field.indexOf(':') + 1);
        for (String spec : unfolded.split(";")) {
            String[] parts = spec.split("=", 2);
            if (parts[0].trim().equals(name)) {
                return TagList.withoutWhitespace(parts[1]);
            }
        }
        throw new AssertionError("no " + name + "= in " + field);
    }

    /** The relaxed form of a field with its b= value removed, as a verifier sees it. */
    private static String canonical(String field) {
        String withoutCrlf = field.endsWith("\r\n") ? field.substring(0, field.length() - 2) : field;
        String emptied = withoutCrlf.replaceAll("b=[^;]*$", "b=");
        return RelaxedCanonicalization.header(emptied);
    }
}
