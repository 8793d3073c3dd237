package org.dispatchmail.core.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Objects;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.generators.Ed25519KeyPairGenerator;
import org.bouncycastle.crypto.params.Ed25519KeyGenerationParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/** Makes new signing keys: RSA with 2048 bits (RFC 8301's recommendation), or Ed25519. */
public final class DkimKeyGenerator {

    static final int RSA_BITS = 2048;

    private DkimKeyGenerator() {
    }

    public static GeneratedKey generate(DkimAlgorithm algorithm) {
        Objects.requireNonNull(algorithm, "algorithm");
        byte[] pkcs8 = algorithm == DkimAlgorithm.RSA_SHA256 ? rsaPkcs8() : ed25519Pkcs8();
        return new GeneratedKey(pkcs8, DkimPrivateKey.fromPkcs8(algorithm, pkcs8));
    }

    private static byte[] rsaPkcs8() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(RSA_BITS, new SecureRandom());
            return generator.generateKeyPair().getPrivate().getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate RSA keys", e);
        }
    }

    private static byte[] ed25519Pkcs8() {
        Ed25519KeyPairGenerator generator = new Ed25519KeyPairGenerator();
        generator.init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        AsymmetricCipherKeyPair pair = generator.generateKeyPair();
        return Ed25519KeyMaterial.pkcs8Of(((Ed25519PrivateKeyParameters) pair.getPrivate()).getEncoded());
    }

    /** A freshly generated key: the PKCS#8 DER bytes to store, and the same key ready to sign. */
    public static final class GeneratedKey {

        private final byte[] pkcs8;
        private final DkimPrivateKey privateKey;

        GeneratedKey(byte[] pkcs8, DkimPrivateKey privateKey) {
            this.pkcs8 = pkcs8;
            this.privateKey = privateKey;
        }

        /** Unencrypted PKCS#8 DER, what {@link DkimPrivateKey#fromPkcs8} reads back. Keep it secret. */
        public byte[] pkcs8() {
            return pkcs8.clone();
        }

        public DkimPrivateKey privateKey() {
            return privateKey;
        }
    }
}
