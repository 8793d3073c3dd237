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
        try {
            // a Signature object is not thread-safe; a new one per signature is cheap next to the RSA operation
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(privateKey);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA256withRSA failed with a key that loaded: " + e.getMessage(), e);
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
