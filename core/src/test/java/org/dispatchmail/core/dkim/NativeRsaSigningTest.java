package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.Security;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.crypto.CryptoProvider;
import org.dispatchmail.core.crypto.CryptoProviders;
import org.dispatchmail.core.crypto.ProviderDecision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * rsa-sha256 signatures made through the native provider, as a node registers it at start: RSASSA-PKCS1-v1_5 is
 * deterministic, so they must equal the JDK's byte for byte, and core's verifier must pass them.
 */
class NativeRsaSigningTest {

    private static final String NATIVE_NAME = "AmazonCorrettoCryptoProvider";
    private static final byte[] MESSAGE = (DkimVerifierTest.MESSAGE
            + "A longer body, so that the body hash covers more than one line.\r\n").getBytes(StandardCharsets.UTF_8);

    private final Clock clock = Clock.fixed(Instant.ofEpochSecond(1_780_000_000L), ZoneOffset.UTC);

    @AfterEach
    void backToTheJdkProviders() {
        Security.removeProvider(NATIVE_NAME);
    }

    @Test
    void nativeSignaturesEqualTheJdksAndVerify() throws Exception {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.arch");
        assumeTrue(os.startsWith("Linux") && (os.endsWith("amd64") || os.endsWith("x86_64")),
                "the native provider is built for linux-x86_64, not " + os);
        byte[] pkcs8 = TestKeys.RSA.pkcs8();
        SigningKey jdkKey = new SigningKey("example.com", "rsa", DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, pkcs8));
        String jdkSignature = new DkimSigner(clock).sign(MESSAGE, List.of(jdkKey)).get(0);

        ProviderDecision decision = CryptoProviders.register(CryptoProvider.NATIVE);
        assertThat(decision.fellBack()).as(decision.logLine()).isFalse();
        assertThat(Security.getProviders()[0].getName()).isEqualTo(NATIVE_NAME);
        // the path RsaKeyMaterial takes now leads to the native provider: its key factory, then its signature
        KeyFactory factory = KeyFactory.getInstance("RSA");
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
        assertThat(factory.getProvider().getName()).isEqualTo(NATIVE_NAME);
        assertThat(signature.getProvider().getName()).isEqualTo(NATIVE_NAME);

        SigningKey nativeKey = new SigningKey("example.com", "rsa",
                DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, pkcs8));
        String nativeSignature = new DkimSigner(clock).sign(MESSAGE, List.of(nativeKey)).get(0);

        assertThat(nativeSignature).isEqualTo(jdkSignature);
        DkimVerifier verifier = new DkimVerifier(name -> Optional.of(name.equals(DnsRecord.name("rsa", "example.com"))
                ? List.of(DnsRecord.txtValue(nativeKey.key())) : List.of()), clock);
        List<DkimResult> results = verifier.verify(DkimSigner.prepend(List.of(nativeSignature), MESSAGE));
        assertThat(results).extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);
    }
}
