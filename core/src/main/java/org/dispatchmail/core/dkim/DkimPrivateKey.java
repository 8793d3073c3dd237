package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/** A private key ready to sign; created from stored bytes. Immutable and safe to share between threads. */
public final class DkimPrivateKey {

    private static final String PEM_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String PEM_END = "-----END PRIVATE KEY-----";

    private final DkimAlgorithm algorithm;
    private final KeyMaterial material;
    private final String publicKeyBase64;

    private DkimPrivateKey(DkimAlgorithm algorithm, KeyMaterial material) {
        this.algorithm = algorithm;
        this.material = material;
        this.publicKeyBase64 = Base64.getEncoder().encodeToString(material.publicKeyForDns());
    }

    /**
     * Reads an unencrypted PKCS#8 private key: DER, as {@link DkimKeyGenerator} makes them, or the same in a PEM
     * "PRIVATE KEY" block, as {@code openssl genpkey} writes them. RSA keys must have at least 1024 bits; Ed25519 keys
     * are in the RFC 8410 form (OID 1.3.101.112).
     */
    public static DkimPrivateKey fromPkcs8(DkimAlgorithm algorithm, byte[] pkcs8) {
        Objects.requireNonNull(algorithm, "algorithm");
        if (pkcs8 == null || pkcs8.length == 0) {
            throw new IllegalArgumentException("no private key bytes given");
        }
        byte[] der = pemToDer(pkcs8);
        PrivateKeyInfo info = privateKeyInfo(der);
        ASN1ObjectIdentifier found = info.getPrivateKeyAlgorithm().getAlgorithm();
        switch (algorithm) {
            case RSA_SHA256:
                requireAlgorithm(found, PKCSObjectIdentifiers.rsaEncryption, algorithm);
                return new DkimPrivateKey(algorithm, RsaKeyMaterial.fromPkcs8(der));
            case ED25519_SHA256:
                requireAlgorithm(found, EdECObjectIdentifiers.id_Ed25519, algorithm);
                return new DkimPrivateKey(algorithm, Ed25519KeyMaterial.fromPrivateKeyInfo(info));
            default:
                throw new IllegalArgumentException("unsupported algorithm " + algorithm);
        }
    }

    public DkimAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * The signature of {@code data} (the canonical header data): for RSA, RSASSA-PKCS1-v1_5 over its SHA-256; for
     * Ed25519, PureEdDSA over its SHA-256 (RFC 8463 §3). Both are deterministic.
     */
    public byte[] sign(byte[] data) {
        return material.sign(Objects.requireNonNull(data, "data"));
    }

    /** The p= value: base64 of the SubjectPublicKeyInfo for RSA, of the raw 32-byte key for Ed25519 (RFC 8463 §4). */
    public String publicKeyBase64() {
        return publicKeyBase64;
    }

    @Override
    public String toString() {
        return "DkimPrivateKey[" + algorithm.tag() + ", p=" + publicKeyBase64.substring(0, Math.min(16, publicKeyBase64.length())) + "...]";
    }

    private static void requireAlgorithm(ASN1ObjectIdentifier found, ASN1ObjectIdentifier expected, DkimAlgorithm algorithm) {
        if (!found.equals(expected)) {
            throw new IllegalArgumentException("the PKCS#8 key is of algorithm OID " + found.getId() + ", not "
                    + algorithm.keyType() + " (" + expected.getId() + ") as " + algorithm.tag() + " needs");
        }
    }

    private static PrivateKeyInfo privateKeyInfo(byte[] der) {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(der);
            if (info == null) {
                throw new IllegalArgumentException("empty");
            }
            return info;
        } catch (RuntimeException e) {
            // BouncyCastle reports malformed DER with several unchecked exception types
            throw new IllegalArgumentException("not an unencrypted PKCS#8 private key (DER or PEM 'PRIVATE KEY'): "
                    + e.getMessage(), e);
        }
    }

    private static byte[] pemToDer(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int begin = text.indexOf(PEM_BEGIN);
        if (begin < 0) {
            if (text.contains("-----BEGIN ")) {
                throw new IllegalArgumentException("PEM key is not an unencrypted PKCS#8 'PRIVATE KEY'; convert it with"
                        + " openssl pkcs8 -topk8 -nocrypt");
            }
            return bytes;
        }
        int end = text.indexOf(PEM_END, begin);
        if (end < 0) {
            throw new IllegalArgumentException("PEM key has no '" + PEM_END + "' line");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(begin + PEM_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PEM key is not valid base64: " + e.getMessage(), e);
        }
    }
}
