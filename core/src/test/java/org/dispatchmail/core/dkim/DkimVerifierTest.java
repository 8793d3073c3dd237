package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.Test;

class DkimVerifierTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_780_000_000L);
    private static final SigningKey RSA = new SigningKey("example.com", "rsa", TestKeys.RSA.privateKey());
    private static final SigningKey ED25519 = new SigningKey("example.com", "ed", TestKeys.ED25519.privateKey());
    static final String MESSAGE = "From: Alice <alice@example.com>\r\n"
            + "To: Bob <bob@example.org>\r\n"
            + "Subject: Lunch\r\n"
            + "Date: Sat, 1 Jun 2024 12:00:00 +0000\r\n"
            + "Message-ID: <1@example.com>\r\n"
            + "\r\n"
            + "Noon?\r\n";

    private final Map<String, String> records = new HashMap<>(Map.of(
            DnsRecord.name("rsa", "example.com"), DnsRecord.txtValue(RSA.key()),
            DnsRecord.name("ed", "example.com"), DnsRecord.txtValue(ED25519.key())));
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final DkimVerifier verifier = new DkimVerifier(
            name -> Optional.of(records.containsKey(name) ? List.of(records.get(name)) : List.of()), clock);

    @Test
    void rsaAndEd25519SignaturesOfTheSignerPass() {
        byte[] signed = sign(MESSAGE, RSA, ED25519);

        List<DkimResult> results = verifier.verify(signed);

        assertThat(results).extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS, DkimResult.Status.PASS);
        assertThat(results).extracting(r -> r.selector().orElseThrow()).containsExactly("rsa", "ed");
        assertThat(results.get(0).domain()).contains("example.com");
        assertThat(results.get(0).authenticationResult()).isEqualTo("dkim=pass header.d=example.com header.s=rsa");
    }

    @Test
    void anUnsignedMessageHasNoResult() {
        assertThat(verifier.verify(bytes(MESSAGE))).isEmpty();
    }

    @Test
    void aChangedBodyFailsOnTheBodyHash() {
        byte[] signed = sign(MESSAGE, RSA, ED25519);
        byte[] altered = bytes(text(signed).replace("Noon?", "One?"));

        List<DkimResult> results = verifier.verify(altered);

        assertThat(results).extracting(DkimResult::status).containsExactly(DkimResult.Status.FAIL, DkimResult.Status.FAIL);
        assertThat(results.get(0).reason()).isEqualTo("body hash did not verify");
        assertThat(results.get(0).authenticationResult())
                .isEqualTo("dkim=fail (body hash did not verify) header.d=example.com header.s=rsa");
    }

    @Test
    void aChangedSignedHeaderFailsOnTheSignature() {
        byte[] altered = bytes(text(sign(MESSAGE, RSA, ED25519)).replace("Subject: Lunch", "Subject: Dinner"));

        assertThat(verifier.verify(altered)).allSatisfy(result -> {
            assertThat(result.status()).isEqualTo(DkimResult.Status.FAIL);
            assertThat(result.reason()).isEqualTo("signature did not verify");
        });
    }

    @Test
    void refoldedHeadersAndAddedUnsignedFieldsStillPassUnderRelaxed() {
        String signed = text(sign(MESSAGE, RSA));
        String changed = "Received: from relay\r\n" + signed.replace("Subject: Lunch", "Subject:   Lunch  ")
                .replace("To: Bob <bob@example.org>", "To: Bob\r\n <bob@example.org>");

        assertThat(verifier.verify(bytes(changed))).extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);
    }

    @Test
    void aMissingKeyRecordIsAPermanentErrorAndNoDnsAnswerATemporaryOne() {
        byte[] signed = sign(MESSAGE, RSA);
        records.clear();
        assertThat(verifier.verify(signed).get(0).status()).isEqualTo(DkimResult.Status.PERMERROR);
        assertThat(verifier.verify(signed).get(0).reason()).isEqualTo("no key record at rsa._domainkey.example.com");

        DkimVerifier noDns = new DkimVerifier(name -> Optional.empty(), clock);
        assertThat(noDns.verify(signed).get(0).status()).isEqualTo(DkimResult.Status.TEMPERROR);
    }

    @Test
    void aRevokedOrMismatchedKeyIsAPermanentError() {
        byte[] signed = sign(MESSAGE, RSA, ED25519);
        records.put(DnsRecord.name("rsa", "example.com"), "v=DKIM1; k=rsa; p=");
        records.put(DnsRecord.name("ed", "example.com"), DnsRecord.txtValue(RSA.key()));

        List<DkimResult> results = verifier.verify(signed);

        assertThat(results).extracting(DkimResult::status)
                .containsExactly(DkimResult.Status.PERMERROR, DkimResult.Status.PERMERROR);
        assertThat(results.get(0).reason()).contains("revoked");
        assertThat(results.get(1).reason()).contains("rsa key");
    }

    @Test
    void anotherKeysSignatureFails() {
        byte[] signed = sign(MESSAGE, RSA);
        records.put(DnsRecord.name("rsa", "example.com"),
                DnsRecord.txtValue(DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256).privateKey()));

        assertThat(verifier.verify(signed).get(0).status()).isEqualTo(DkimResult.Status.FAIL);
    }

    @Test
    void malformedAndUnsupportedSignaturesAreNamed() {
        String broken = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa\r\n" + MESSAGE;
        String sha1 = "DKIM-Signature: v=1; a=rsa-sha1; c=relaxed/relaxed; d=example.com; s=rsa; h=from; bh=AAAA; b=AAAA\r\n"
                + MESSAGE;
        String notTags = "DKIM-Signature: v=1; this is not a tag list\r\n" + MESSAGE;

        assertThat(verifier.verify(bytes(broken)).get(0).status()).isEqualTo(DkimResult.Status.PERMERROR);
        assertThat(verifier.verify(bytes(broken)).get(0).reason()).isEqualTo("the signature has no b= tag");
        assertThat(verifier.verify(bytes(notTags)).get(0).status()).isEqualTo(DkimResult.Status.PERMERROR);
        assertThat(verifier.verify(bytes(sha1)).get(0).status()).isEqualTo(DkimResult.Status.NEUTRAL);

        String negativeLength = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=rsa; h=from; l=-1; bh=AAAA; b=AAAA\r\n"
                + MESSAGE;
        assertThat(verifier.verify(bytes(negativeLength)).get(0).reason()).isEqualTo("l= is not a number");
        String oddSelector = "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=a b; h=from; bh=AAAA; b=AAAA\r\n"
                + MESSAGE;
        assertThat(verifier.verify(bytes(oddSelector)).get(0).authenticationResult())
                .isEqualTo("dkim=fail (body hash did not verify) header.d=example.com");
    }

    @Test
    void anExpiredSignatureFails() {
        SignatureOptions expiring = SignatureOptions.STANDARD.withTagAfterDomain("x", String.valueOf(NOW.getEpochSecond() - 1));
        byte[] signed = DkimSigner.prepend(new DkimSigner(clock).sign(bytes(MESSAGE), List.of(RSA), expiring), bytes(MESSAGE));

        assertThat(verifier.verify(signed).get(0).reason()).isEqualTo("the signature expired");
    }

    @Test
    void theEmptiedSignatureKeepsEverythingButTheValueOfB() {
        assertThat(SignatureCheck.withEmptySignature("DKIM-Signature: v=1; bh=abc;\r\n b=de\r\n f; s=x"))
                .isEqualTo("DKIM-Signature: v=1; bh=abc;\r\n b=; s=x");
        assertThat(SignatureCheck.withEmptySignature("ARC-Seal: i=1; b = xyz"))
                .isEqualTo("ARC-Seal: i=1; b =");
    }

    @Test
    void simpleBodyCanonicalizationDropsOnlyTrailingEmptyLines() {
        assertThat(text(SimpleCanonicalization.body(bytes("H: v\r\n\r\n a  b \r\n\r\n\r\n"), 8))).isEqualTo(" a  b \r\n");
        assertThat(text(SimpleCanonicalization.body(bytes("H: v\r\n\r\n"), 8))).isEqualTo("\r\n");
        assertThat(text(SimpleCanonicalization.body(bytes("H: v\r\n\r\n\r\n\r\n"), 8))).isEqualTo("\r\n");
        assertThat(text(SimpleCanonicalization.body(bytes("H: v\r\n\r\nend"), 8))).isEqualTo("end\r\n");
    }

    @Test
    void signaturesOfDkimpyWithSimpleCanonicalizationAndLengthPass() throws IOException {
        String message = MESSAGE.replace("Noon?\r\n", "Noon?\r\n\r\n\r\n");
        for (String canonicalization : List.of("simple/simple", "relaxed/simple", "simple/relaxed")) {
            for (boolean length : List.of(false, true)) {
                String field = DkimpyVerifier.signWithDkimpy(bytes(message), "rsa", "example.com", rsaPkcs1Pem(),
                        canonicalization, length);
                byte[] signed = bytes(field + message);
                assertThat(verifier.verify(signed)).as(canonicalization + " l=" + length + ": " + field)
                        .extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);

                // l= lets text be appended after the signed part; any other change fails
                byte[] appended = bytes(field + message + "appended\r\n");
                assertThat(verifier.verify(appended).get(0).status()).as(canonicalization + " l=" + length + " appended")
                        .isEqualTo(length ? DkimResult.Status.PASS : DkimResult.Status.FAIL);
                byte[] changed = bytes(field + message.replace("Noon?", "Noon!"));
                assertThat(verifier.verify(changed).get(0).status()).isEqualTo(DkimResult.Status.FAIL);
            }
        }
    }

    /** The test RSA key as dkimpy reads it: PKCS#1 RSAPrivateKey in PEM. */
    private static String rsaPkcs1Pem() throws IOException {
        byte[] pkcs1 = PrivateKeyInfo.getInstance(TestKeys.RSA.pkcs8()).parsePrivateKey()
                .toASN1Primitive().getEncoded();
        return "-----BEGIN RSA PRIVATE KEY-----\n" + Base64.getEncoder().encodeToString(pkcs1)
                + "\n-----END RSA PRIVATE KEY-----\n";
    }

    private byte[] sign(String message, SigningKey... keys) {
        return DkimSigner.prepend(new DkimSigner(clock).sign(bytes(message), List.of(keys)), bytes(message));
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
