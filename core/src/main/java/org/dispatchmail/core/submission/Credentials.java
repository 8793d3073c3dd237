package org.dispatchmail.core.submission;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * What is stored for a password, in the three forms the mechanisms need, none of them the password:
 * a PBKDF2-HMAC-SHA256 hash for PLAIN and LOGIN, the HMAC-MD5 context for CRAM-MD5, and the salt, iteration count,
 * StoredKey and ServerKey for SCRAM-SHA-256.
 */
public final class Credentials {
    private final byte[] pbkdf2Salt;
    private final int pbkdf2Iterations;
    private final byte[] pbkdf2Hash;
    private final byte[] cramMd5Context;
    private final byte[] scramSalt;
    private final int scramIterations;
    private final byte[] scramStoredKey;
    private final byte[] scramServerKey;

    Credentials(byte[] pbkdf2Salt, int pbkdf2Iterations, byte[] pbkdf2Hash, byte[] cramMd5Context, byte[] scramSalt,
                int scramIterations, byte[] scramStoredKey, byte[] scramServerKey) {
        this.pbkdf2Salt = require(pbkdf2Salt, -1, "PBKDF2 salt");
        this.pbkdf2Iterations = positive(pbkdf2Iterations, "PBKDF2 iterations");
        this.pbkdf2Hash = require(pbkdf2Hash, PasswordHashing.HASH_BYTES, "PBKDF2 hash");
        this.cramMd5Context = require(cramMd5Context, CramMd5Context.BYTES, "CRAM-MD5 context");
        this.scramSalt = require(scramSalt, -1, "SCRAM salt");
        this.scramIterations = positive(scramIterations, "SCRAM iterations");
        this.scramStoredKey = require(scramStoredKey, ScramKeys.KEY_BYTES, "SCRAM StoredKey");
        this.scramServerKey = require(scramServerKey, ScramKeys.KEY_BYTES, "SCRAM ServerKey");
    }

    /**
     * All three forms from one password, with fresh salts. Enforces no password policy (SubmissionUsers does);
     * the SCRAM and PBKDF2 forms hash the SASLprep'd password, CRAM-MD5 keys HMAC-MD5 with its UTF-8 bytes as typed,
     * as CRAM-MD5 clients do.
     */
    public static Credentials derive(String password, PasswordHashing hashing) {
        Objects.requireNonNull(password, "password");
        String prepared = SaslPrep.prepare(password);
        byte[] pbkdf2Salt = hashing.newSalt();
        byte[] pbkdf2Hash = hashing.pbkdf2(prepared, pbkdf2Salt, hashing.pbkdf2Iterations(), PasswordHashing.HASH_BYTES);
        byte[] key = password.getBytes(StandardCharsets.UTF_8);
        byte[] cram = CramMd5Context.fromKey(key);
        Arrays.fill(key, (byte) 0);
        byte[] scramSalt = hashing.newSalt();
        byte[] salted = hashing.pbkdf2(prepared, scramSalt, hashing.scramIterations(), ScramKeys.KEY_BYTES);
        Credentials credentials = new Credentials(pbkdf2Salt, hashing.pbkdf2Iterations(), pbkdf2Hash, cram, scramSalt,
            hashing.scramIterations(), ScramKeys.storedKey(salted), ScramKeys.serverKey(salted));
        Arrays.fill(salted, (byte) 0);
        return credentials;
    }

    /** PLAIN and LOGIN: hashes {@code password} with the stored salt and count and compares in constant time. */
    boolean matchesPassword(String password, PasswordHashing hashing) {
        byte[] candidate = hashing.pbkdf2(SaslPrep.prepare(password == null ? "" : password), pbkdf2Salt,
            pbkdf2Iterations, pbkdf2Hash.length);
        return hashing.same(pbkdf2Hash, candidate);
    }

    byte[] pbkdf2Salt() {
        return pbkdf2Salt.clone();
    }

    int pbkdf2Iterations() {
        return pbkdf2Iterations;
    }

    byte[] pbkdf2Hash() {
        return pbkdf2Hash.clone();
    }

    byte[] cramMd5Context() {
        return cramMd5Context.clone();
    }

    byte[] scramSalt() {
        return scramSalt.clone();
    }

    int scramIterations() {
        return scramIterations;
    }

    byte[] scramStoredKey() {
        return scramStoredKey.clone();
    }

    byte[] scramServerKey() {
        return scramServerKey.clone();
    }

    /** Never shows the material: these values are password-equivalent for CRAM-MD5 and brute-forcible offline. */
    @Override
    public String toString() {
        return "Credentials[pbkdf2 i=" + pbkdf2Iterations + ", scram i=" + scramIterations + "]";
    }

    private static byte[] require(byte[] value, int length, String what) {
        Objects.requireNonNull(value, what);
        if (length >= 0 ? value.length != length : value.length == 0) {
            throw new IllegalArgumentException(what + " has " + value.length + " bytes"
                + (length >= 0 ? ", not " + length : ""));
        }
        return value.clone();
    }

    private static int positive(int value, String what) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be at least 1, not " + value);
        }
        return value;
    }
}
