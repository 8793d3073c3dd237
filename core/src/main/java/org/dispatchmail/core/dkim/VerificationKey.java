package org.dispatchmail.core.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * A public key read from its DNS record (RFC 6376 §3.6.1), ready to check signatures of its algorithm. Reading gives
 * either the key or why the record cannot be used.
 */
final class VerificationKey {

    private final DkimAlgorithm algorithm;
    private final PublicKey rsaKey;
    private final Ed25519PublicKeyParameters ed25519Key;

    private VerificationKey(DkimAlgorithm algorithm, PublicKey rsaKey, Ed25519PublicKeyParameters ed25519Key) {
        this.algorithm = algorithm;
        this.rsaKey = rsaKey;
        this.ed25519Key = ed25519Key;
    }

    /** The key or the problem with a TXT record (its strings joined), for signatures made with {@code algorithm}. */
    static Parsed parse(String txt, DkimAlgorithm algorithm) {
        Optional<Map<String, String>> parsed = TagList.parse(txt);
        if (parsed.isEmpty()) {
            return Parsed.problem("the key record is not a tag list");
        }
        Map<String, String> tags = parsed.get();
        if (tags.containsKey("v") && !tags.get("v").equals("DKIM1")) {
            return Parsed.problem("the key record has v=" + tags.get("v") + ", not DKIM1");
        }
        String keyType = tags.getOrDefault("k", "rsa");
        if (!keyType.equalsIgnoreCase(algorithm.keyType())) {
            return Parsed.problem("the key record holds a " + keyType + " key, the signature is " + algorithm.tag());
        }
        if (tags.containsKey("h") && !listHas(tags.get("h"), "sha256")) {
            return Parsed.problem("the key record does not allow sha256 (h=" + tags.get("h") + ")");
        }
        if (tags.containsKey("s") && !listHas(tags.get("s"), "email") && !listHas(tags.get("s"), "*")) {
            return Parsed.problem("the key record is not for email (s=" + tags.get("s") + ")");
        }
        String p = tags.get("p");
        if (p == null) {
            return Parsed.problem("the key record has no p=");
        }
        String base64 = TagList.withoutWhitespace(p);
        if (base64.isEmpty()) {
            return Parsed.problem("the key was revoked (empty p=)");
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return Parsed.problem("the key record's p= is not base64");
        }
        return algorithm == DkimAlgorithm.RSA_SHA256 ? rsa(der) : ed25519(der);
    }

    private static Parsed rsa(byte[] subjectPublicKeyInfo) {
        try {
            PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
            int bits = ((RSAPublicKey) key).getModulus().bitLength();
            if (bits < RsaKeyMaterial.MINIMUM_BITS) {
                // RFC 8301 §3.2: signatures with shorter keys must not be considered valid
                return Parsed.problem("the RSA key has " + bits + " bits, fewer than " + RsaKeyMaterial.MINIMUM_BITS);
            }
            return Parsed.key(new VerificationKey(DkimAlgorithm.RSA_SHA256, key, null));
        } catch (GeneralSecurityException | ClassCastException e) {
            return Parsed.problem("the key record's p= is not an RSA public key");
        }
    }

    private static Parsed ed25519(byte[] raw) {
        if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            return Parsed.problem("an Ed25519 key has 32 bytes, this one " + raw.length);
        }
        return Parsed.key(new VerificationKey(DkimAlgorithm.ED25519_SHA256, null, new Ed25519PublicKeyParameters(raw, 0)));
    }

    /** Whether {@code signature} is this key's signature of {@code data} (the canonical header data). */
    boolean verifies(byte[] data, byte[] signature) {
        if (algorithm == DkimAlgorithm.RSA_SHA256) {
            try {
                Signature verifier = Signature.getInstance("SHA256withRSA");
                verifier.initVerify(rsaKey);
                verifier.update(data);
                return verifier.verify(signature);
            } catch (GeneralSecurityException e) {
                return false; // a signature of the wrong length, for one
            }
        }
        Ed25519Signer verifier = new Ed25519Signer();
        verifier.init(false, ed25519Key);
        byte[] digest = sha256(data);
        verifier.update(digest, 0, digest.length);
        return verifier.verifySignature(signature);
    }

    private static boolean listHas(String colonList, String wanted) {
        for (String item : TagList.withoutWhitespace(colonList).split(":")) {
            if (item.equalsIgnoreCase(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** A usable key, or why the record is not one. */
    static final class Parsed {
        private final VerificationKey key;
        private final String problem;

        private Parsed(VerificationKey key, String problem) {
            this.key = key;
            this.problem = problem;
        }

        static Parsed key(VerificationKey key) {
            return new Parsed(key, null);
        }

        static Parsed problem(String problem) {
            return new Parsed(null, problem);
        }

        Optional<VerificationKey> key() {
            return Optional.ofNullable(key);
        }

        String problem() {
            return problem;
        }
    }
}
