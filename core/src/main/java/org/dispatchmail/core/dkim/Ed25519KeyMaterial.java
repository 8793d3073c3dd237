package org.dispatchmail.core.dkim;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * ed25519-sha256 (RFC 8463): PureEdDSA over the SHA-256 hash of the header data. BouncyCastle's lightweight classes
 * are used directly because the JDK only has Ed25519 from Java 15 and James 3.8 runs on 11.
 */
final class Ed25519KeyMaterial implements KeyMaterial {

    private final Ed25519PrivateKeyParameters privateKey;
    private final byte[] rawPublicKey;

    private Ed25519KeyMaterial(Ed25519PrivateKeyParameters privateKey) {
        this.privateKey = privateKey;
        this.rawPublicKey = privateKey.generatePublicKey().getEncoded();
    }

    /** Reads the RFC 8410 form: a PrivateKeyInfo whose key is an OCTET STRING holding the 32-byte seed. */
    static Ed25519KeyMaterial fromPrivateKeyInfo(PrivateKeyInfo info) {
        byte[] seed;
        try {
            seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("the Ed25519 PKCS#8 key does not hold an OCTET STRING seed (RFC 8410)", e);
        }
        if (seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 private key has 32 bytes, this one " + seed.length);
        }
        Ed25519KeyMaterial material = new Ed25519KeyMaterial(new Ed25519PrivateKeyParameters(seed, 0));
        // a v2 PKCS#8 (RFC 5958) may carry the public key too; one that disagrees means a damaged or forged file
        if (info.getPublicKeyData() != null
                && !Arrays.equals(info.getPublicKeyData().getOctets(), material.rawPublicKey)) {
            throw new IllegalArgumentException("the public key inside the Ed25519 PKCS#8 does not belong to its private key");
        }
        return material;
    }

    /** The PKCS#8 v1 (RFC 8410) encoding of a 32-byte seed: what OpenSSL writes and reads. */
    static byte[] pkcs8Of(byte[] seed) {
        try {
            return new PrivateKeyInfo(new AlgorithmIdentifier(EdECObjectIdentifiers.id_Ed25519), new DEROctetString(seed))
                    .getEncoded("DER");
        } catch (IOException e) {
            throw new IllegalStateException("DER encoding of an Ed25519 key failed", e);
        }
    }

    @Override
    public byte[] sign(byte[] data) {
        Ed25519Signer signer = new Ed25519Signer();
        signer.init(true, privateKey);
        byte[] digest = sha256(data);
        signer.update(digest, 0, digest.length);
        return signer.generateSignature();
    }

    @Override
    public byte[] publicKeyForDns() {
        return rawPublicKey.clone();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
