package org.dispatchmail.core.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;

/** rsa-sha256 (RFC 6376 §3.3.1): RSASSA-PKCS1-v1_5 with SHA-256, from the JDK, which has it on every version. */
final class RsaKeyMaterial implements KeyMaterial {

    /** RFC 8301 §3.2: verifiers must not accept shorter keys, so signing with one only produces failures. */
    static final int MINIMUM_BITS = 1024;

    private final RSAPrivateCrtKey privateKey;
    private final byte[] subjectPublicKeyInfo;
    /**
     * Each thread's Signature, initialised once with this key. Getting a Signature walks the provider list, and
     * initialising one makes the provider import the key (the native provider converts it into its own form); a
     * Signature returns to its initialised state after each sign(), so a thread reuses it for every message. It
     * belongs to this key object: a rotated key is another object with Signatures of its own, so no thread ever signs
     * with a key that was replaced.
     */
    private final ThreadLocal<Signature> signatures = ThreadLocal.withInitial(this::initialisedSignature);

    private RsaKeyMaterial(RSAPrivateCrtKey privateKey, byte[] subjectPublicKeyInfo) {
        this.privateKey = privateKey;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo;
    }

    static RsaKeyMaterial fromPkcs8(byte[] pkcs8) {
        KeyFactory factory = rsaKeyFactory();
        RSAPrivateCrtKey key;
        try {
            key = (RSAPrivateCrtKey) factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException | ClassCastException e) {
            // without the CRT parameters the public exponent, and so the DNS record, cannot be derived
            throw new IllegalArgumentException("not a usable PKCS#8 RSA private key (it must carry its public exponent): "
                    + e.getMessage(), e);
        }
        if (key.getModulus().bitLength() < MINIMUM_BITS) {
            throw new IllegalArgumentException("RSA key of " + key.getModulus().bitLength() + " bits is too short for DKIM:"
                    + " verifiers refuse keys under " + MINIMUM_BITS + " bits (RFC 8301); use 2048");
        }
        try {
            byte[] spki = factory.generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent())).getEncoded();
            return new RsaKeyMaterial(key, spki);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the RSA key's public half cannot be built: " + e.getMessage(), e);
        }
    }

    int bits() {
        return privateKey.getModulus().bitLength();
    }

    @Override
    public byte[] sign(byte[] data) {
        Signature signature = signatures.get();
        try {
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException | RuntimeException e) {
            // a Signature that failed half-way may keep part of the data: this thread starts afresh next time
            signatures.remove();
            throw new IllegalStateException("SHA256withRSA failed with a key that loaded: " + e.getMessage(), e);
        }
    }

    private Signature initialisedSignature() {
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(privateKey);
            return signature;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA256withRSA cannot be initialised with a key that loaded: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public byte[] publicKeyForDns() {
        return subjectPublicKeyInfo.clone();
    }

    private static KeyFactory rsaKeyFactory() {
        try {
            return KeyFactory.getInstance("RSA");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no RSA KeyFactory", e);
        }
    }
}
