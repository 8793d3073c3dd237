package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.dispatchmail.core.dkim.DkimVerifierTest.bytes;
import static org.dispatchmail.core.dkim.DkimVerifierTest.text;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Sealing checked two ways: by this package's own validator, and by dkimpy's arc_verify, an independent
 * implementation, which must say cv=pass for every chain sealed here.
 */
class ArcSealerTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_780_000_000L);
    private static final SigningKey AUTHOR = new SigningKey("example.com", "rsa", TestKeys.RSA.privateKey());
    private static final DkimKeyGenerator.GeneratedKey FORWARDER_KEY = DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256);
    private static final DkimKeyGenerator.GeneratedKey LIST_KEY = DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256);
    private static final SigningKey FORWARDER = new SigningKey("forward.example", "arc", FORWARDER_KEY.privateKey());
    private static final SigningKey LIST = new SigningKey("lists.example", "arc", LIST_KEY.privateKey());
    private static final Map<String, String> DNS = Map.of(
            DnsRecord.name("rsa", "example.com"), DnsRecord.txtValue(AUTHOR.key()),
            DnsRecord.name("arc", "forward.example"), DnsRecord.txtValue(FORWARDER.key()),
            DnsRecord.name("arc", "lists.example"), DnsRecord.txtValue(LIST.key()));

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final KeyRecordLookup lookup = name -> Optional.of(DNS.containsKey(name) ? List.of(DNS.get(name)) : List.of());
    private final DkimVerifier verifier = new DkimVerifier(lookup, clock);
    private final ArcSealer sealer = new ArcSealer(lookup, clock);
    private final ArcValidator validator = new ArcValidator(lookup, clock);

    @Test
    void theFirstSetHasInstanceOneCvNoneAndRecordsTheDkimResults() {
        byte[] signed = authorSigned();

        ArcSealResult result = sealer.seal(signed, verifier.verify(signed), FORWARDER, "mx1.forward.example");

        assertThat(result.isSealed()).isTrue();
        assertThat(result.instance()).isEqualTo(1);
        assertThat(result.chain().status()).isEqualTo(ArcChainStatus.NONE);
        List<String> fields = result.fields();
        assertThat(fields).hasSize(3);
        assertThat(unfolded(fields.get(0))).startsWith("ARC-Seal: i=1; a=rsa-sha256; t=" + NOW.getEpochSecond()
                + "; cv=none; d=forward.example; s=arc; b=");
        assertThat(unfolded(fields.get(1))).startsWith("ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed;"
                + " d=forward.example; s=arc; t=" + NOW.getEpochSecond() + "; h=from:to:subject:date:message-id:");
        assertThat(unfolded(fields.get(1))).contains(":dkim-signature;").doesNotContain("v=1");
        assertThat(unfolded(fields.get(2))).isEqualTo("ARC-Authentication-Results: i=1; mx1.forward.example;"
                + " dkim=pass header.d=example.com header.s=rsa\r\n");

        byte[] sealed = DkimSigner.prepend(fields, signed);
        assertThat(validator.validate(sealed).status()).isEqualTo(ArcChainStatus.PASS);
        assertThat(DkimpyVerifier.arcVerify(sealed, DNS)).isEqualTo("ARC cv=pass success");
    }

    @Test
    void aSecondSealingAddsInstanceTwoWithCvPass() {
        byte[] once = sealedBy(FORWARDER, authorSigned());
        ArcSealResult second = sealer.seal(once, verifier.verify(once), LIST, "lists.example");

        assertThat(second.instance()).isEqualTo(2);
        assertThat(second.chain().status()).isEqualTo(ArcChainStatus.PASS);
        assertThat(unfolded(second.fields().get(0))).contains("i=2;").contains("cv=pass;").contains("d=lists.example;");
        assertThat(unfolded(second.fields().get(2))).isEqualTo("ARC-Authentication-Results: i=2; lists.example;"
                + " dkim=pass header.d=example.com header.s=rsa; arc=pass\r\n");

        byte[] twice = DkimSigner.prepend(second.fields(), once);
        assertThat(validator.validate(twice).status()).isEqualTo(ArcChainStatus.PASS);
        assertThat(DkimpyVerifier.arcVerify(twice, DNS)).isEqualTo("ARC cv=pass success");
    }

    @Test
    void aChangeAfterTheLastSealFailsTheChainAndTheNextSealSaysSoThenNoMoreSets() {
        byte[] once = sealedBy(FORWARDER, authorSigned());
        byte[] tampered = bytes(text(once).replace("Noon?", "Midnight?"));
        assertThat(validator.validate(tampered).status()).isEqualTo(ArcChainStatus.FAIL);
        assertThat(validator.validate(tampered).reason()).contains("ARC-Message-Signature i=1").contains("body hash");

        ArcSealResult second = sealer.seal(tampered, verifier.verify(tampered), LIST, "lists.example");

        assertThat(second.instance()).isEqualTo(2);
        assertThat(unfolded(second.fields().get(0))).contains("cv=fail;");
        assertThat(second.fields().get(2)).contains("arc=fail");
        byte[] failed = DkimSigner.prepend(second.fields(), tampered);
        ArcValidation afterFail = validator.validate(failed);
        assertThat(afterFail.status()).isEqualTo(ArcChainStatus.FAIL);
        assertThat(afterFail.ended()).isTrue();

        ArcSealResult third = sealer.seal(failed, verifier.verify(failed), FORWARDER, "mx1.forward.example");
        assertThat(third.isSealed()).isFalse();
        assertThat(third.reason()).contains("cv=fail");
    }

    @Test
    void anIncompleteSetIsAFailedChain() {
        String once = text(sealedBy(FORWARDER, authorSigned()));
        String withoutResults = once.replaceFirst("ARC-Authentication-Results: i=1;[^\r]*\r\n", "");

        ArcValidation validation = validator.validate(bytes(withoutResults));

        assertThat(validation.status()).isEqualTo(ArcChainStatus.FAIL);
        assertThat(validation.reason()).isEqualTo("the ARC set i=1 lacks a field");
    }

    @Test
    void anUnsignedMessageIsSealedWithDkimNone() {
        ArcSealResult result = sealer.seal(bytes(DkimVerifierTest.MESSAGE), List.of(), FORWARDER, "mx1.forward.example");

        assertThat(unfolded(result.fields().get(2)))
                .isEqualTo("ARC-Authentication-Results: i=1; mx1.forward.example; dkim=none\r\n");
        assertThat(DkimpyVerifier.arcVerify(DkimSigner.prepend(result.fields(), bytes(DkimVerifierTest.MESSAGE)), DNS))
                .isEqualTo("ARC cv=pass success");
    }

    @Test
    void anAuthservIdMustBeOneToken() {
        assertThatThrownBy(() -> sealer.seal(authorSigned(), List.of(), FORWARDER, "mx1 forward"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private byte[] authorSigned() {
        byte[] message = bytes(DkimVerifierTest.MESSAGE);
        return DkimSigner.prepend(new DkimSigner(clock).sign(message, List.of(AUTHOR)), message);
    }

    private byte[] sealedBy(SigningKey key, byte[] message) {
        ArcSealResult result = sealer.seal(message, verifier.verify(message), key, "mx1." + key.domain());
        assertThat(result.isSealed()).isTrue();
        return DkimSigner.prepend(result.fields(), message);
    }

    private static String unfolded(String field) {
        return field.replace("\r\n ", " ");
    }
}
