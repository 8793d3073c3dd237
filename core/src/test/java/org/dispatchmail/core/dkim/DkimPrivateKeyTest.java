package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DkimPrivateKeyTest {

    @ParameterizedTest
    @EnumSource(DkimAlgorithm.class)
    void generatedKeyRoundTripsThroughPkcs8(DkimAlgorithm algorithm) {
        DkimKeyGenerator.GeneratedKey generated = TestKeys.of(algorithm);

        DkimPrivateKey reloaded = DkimPrivateKey.fromPkcs8(algorithm, generated.pkcs8());

        assertThat(reloaded.algorithm()).isEqualTo(algorithm);
        assertThat(reloaded.publicKeyBase64()).isEqualTo(generated.privateKey().publicKeyBase64());
        byte[] data = "some header data".getBytes(StandardCharsets.US_ASCII);
        assertThat(reloaded.sign(data)).isEqualTo(generated.privateKey().sign(data)); // both are deterministic
    }

    @Test
    void twoGeneratedKeysDiffer() {
        DkimKeyGenerator.GeneratedKey other = DkimKeyGenerator.generate(DkimAlgorithm.ED25519_SHA256);

        assertThat(other.privateKey().publicKeyBase64()).isNotEqualTo(TestKeys.ED25519.privateKey().publicKeyBase64());
    }

    @Test
    void rsaKeyHas2048BitsAndItsPublicKeyIsSubjectPublicKeyInfo() throws Exception {
        DkimPrivateKey key = TestKeys.RSA.privateKey();
        PublicKey publicKey = KeyFactory.getInstance("RSA")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(key.publicKeyBase64())));
        byte[] data = "data".getBytes(StandardCharsets.US_ASCII);

        Signature verifier = Signature.getInstance("SHA256withRSA");
        verifier.initVerify(publicKey);
        verifier.update(data);

        assertThat(verifier.verify(key.sign(data))).isTrue();
        assertThat(((java.security.interfaces.RSAPublicKey) publicKey).getModulus().bitLength()).isEqualTo(2048);
    }

    @Test
    void oneThreadSigningWithTwoRsaKeysInTurnUsesEachKeyEveryTime() throws Exception {
        DkimKeyGenerator.GeneratedKey first = TestKeys.RSA;
        DkimKeyGenerator.GeneratedKey second = DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256);

        for (int round = 0; round < 3; round++) {
            for (DkimKeyGenerator.GeneratedKey key : List.of(first, second)) {
                byte[] data = ("header data " + round).getBytes(StandardCharsets.US_ASCII);
                // RSASSA-PKCS1-v1_5 is deterministic: a fresh Signature with the same key gives the same bytes
                assertThat(key.privateKey().sign(data)).as("round %d", round).isEqualTo(freshRsaSignature(key, data));
            }
        }
    }

    @Test
    void threadsSigningWithOneRsaKeyAtOnceEachGetTheRightSignature() throws Exception {
        DkimPrivateKey key = TestKeys.RSA.privateKey();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> checks = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                byte[] data = ("header data " + i).getBytes(StandardCharsets.US_ASCII);
                byte[] expected = freshRsaSignature(TestKeys.RSA, data);
                checks.add(threads.submit(() -> Arrays.equals(key.sign(data), expected)));
            }
            for (Future<Boolean> check : checks) {
                assertThat(check.get()).isTrue();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    private static byte[] freshRsaSignature(DkimKeyGenerator.GeneratedKey key, byte[] data) throws Exception {
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(key.pkcs8())));
        signature.update(data);
        return signature.sign();
    }

    @Test
    void ed25519PublicKeyIsRawAndSignsTheSha256OfTheData() throws Exception {
        DkimPrivateKey key = TestKeys.ED25519.privateKey();
        byte[] raw = Base64.getDecoder().decode(key.publicKeyBase64());
        byte[] data = "data".getBytes(StandardCharsets.US_ASCII);
        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(data);

        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, new Ed25519PublicKeyParameters(raw, 0));
        verifier.update(digest, 0, digest.length);

        assertThat(raw).hasSize(32);
        assertThat(verifier.verifySignature(key.sign(data))).isTrue();
    }

    @Test
    void ed25519Pkcs8IsTheRfc8410Form() {
        byte[] pkcs8 = TestKeys.ED25519.pkcs8();

        assertThat(pkcs8).hasSize(48);
        assertThat(Base64.getEncoder().encodeToString(pkcs8)).startsWith("MC4CAQAwBQYDK2VwBCIEI");
    }

    @Test
    void readsPemWrappedPkcs8() {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(TestKeys.RSA.pkcs8()) + "\n-----END PRIVATE KEY-----\n";

        DkimPrivateKey key = DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, pem.getBytes(StandardCharsets.US_ASCII));

        assertThat(key.publicKeyBase64()).isEqualTo(TestKeys.RSA.privateKey().publicKeyBase64());
    }

    @Test
    void refusesAKeyOfTheOtherAlgorithm() {
        assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, TestKeys.ED25519.pkcs8()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.3.101.112");
        assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(DkimAlgorithm.ED25519_SHA256, TestKeys.RSA.pkcs8()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.2.840.113549.1.1.1");
    }

    @Test
    void refusesGarbageAndEmptyInput() {
        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(algorithm, new byte[] {1, 2, 3}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PKCS#8");
            assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(algorithm, new byte[0]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(algorithm, null))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void refusesPkcs1Pem() {
        byte[] pem = ("-----BEGIN RSA PRIVATE KEY-----\n" + Rfc8463Example.RSA_PKCS1 + "\n-----END RSA PRIVATE KEY-----\n")
                .getBytes(StandardCharsets.US_ASCII);

        assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, pem))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("openssl pkcs8");
    }

    @Test
    void refusesRsaKeysUnder1024Bits() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(768);
        byte[] small = generator.generateKeyPair().getPrivate().getEncoded();

        assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(DkimAlgorithm.RSA_SHA256, small))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("768 bits");
    }

    @Test
    void refusesEd25519Pkcs8WhosePublicKeyDoesNotMatch() throws Exception {
        org.bouncycastle.asn1.pkcs.PrivateKeyInfo withWrongPublicKey = new org.bouncycastle.asn1.pkcs.PrivateKeyInfo(
                new org.bouncycastle.asn1.x509.AlgorithmIdentifier(
                        org.bouncycastle.asn1.edec.EdECObjectIdentifiers.id_Ed25519),
                new org.bouncycastle.asn1.DEROctetString(Base64.getDecoder().decode(Rfc8463Example.ED25519_SEED)),
                null, new byte[32]);

        assertThatThrownBy(() -> DkimPrivateKey.fromPkcs8(DkimAlgorithm.ED25519_SHA256, withWrongPublicKey.getEncoded()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not belong");
    }

    @Test
    void algorithmsByTag() {
        assertThat(DkimAlgorithm.fromTag("rsa-sha256")).isEqualTo(DkimAlgorithm.RSA_SHA256);
        assertThat(DkimAlgorithm.fromTag("Ed25519-SHA256")).isEqualTo(DkimAlgorithm.ED25519_SHA256);
        assertThat(DkimAlgorithm.ED25519_SHA256.keyType()).isEqualTo("ed25519");
        assertThatThrownBy(() -> DkimAlgorithm.fromTag("rsa-sha1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rsa-sha256, ed25519-sha256");
        assertThatThrownBy(() -> DkimAlgorithm.fromTag(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
