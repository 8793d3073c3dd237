package org.dispatchmail.core.submission;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * How much work goes into new password hashes, and the primitives that do it. PBKDF2-HMAC-SHA256 serves both the
 * PLAIN/LOGIN hash and SCRAM's Hi() (which is PBKDF2 with a one-block output). Existing credentials keep the
 * iteration counts they were made with, so changing these numbers affects new passwords only.
 */
public final class PasswordHashing {
    /** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. */
    public static final int DEFAULT_PBKDF2_ITERATIONS = 310_000;
    /** RFC 7677 section 4: at least 4096. */
    public static final int DEFAULT_SCRAM_ITERATIONS = 4096;
    static final int SALT_BYTES = 16;
    static final int HASH_BYTES = 32;

    /** Where salts come from; tests pin it to reproduce published examples. */
    interface SaltSource {
        byte[] next(int length);
    }

    /** How two secrets are compared; always constant time outside tests, which wrap it to see that it is used. */
    interface SecretComparison {
        boolean same(byte[] expected, byte[] actual);
    }

    private final int pbkdf2Iterations;
    private final int scramIterations;
    private final SaltSource salts;
    private final SecretComparison comparison;
    /** PBKDF2 iterations run so far; lets tests check that an unknown login costs what a known one does. */
    private final AtomicLong iterationsRun = new AtomicLong();

    public PasswordHashing(int pbkdf2Iterations, int scramIterations) {
        this(pbkdf2Iterations, scramIterations, randomSalts(), MessageDigest::isEqual);
    }

    PasswordHashing(int pbkdf2Iterations, int scramIterations, SaltSource salts, SecretComparison comparison) {
        if (pbkdf2Iterations < 1) {
            throw new IllegalArgumentException("PBKDF2 iterations must be at least 1, not " + pbkdf2Iterations);
        }
        if (scramIterations < 1) {
            throw new IllegalArgumentException("SCRAM iterations must be at least 1, not " + scramIterations);
        }
        this.pbkdf2Iterations = pbkdf2Iterations;
        this.scramIterations = scramIterations;
        this.salts = salts;
        this.comparison = comparison;
    }

    public static PasswordHashing defaults() {
        return new PasswordHashing(DEFAULT_PBKDF2_ITERATIONS, DEFAULT_SCRAM_ITERATIONS);
    }

    public int pbkdf2Iterations() {
        return pbkdf2Iterations;
    }

    public int scramIterations() {
        return scramIterations;
    }

    @Override
    public String toString() {
        return "PasswordHashing[pbkdf2=" + pbkdf2Iterations + ", scram=" + scramIterations + "]";
    }

    byte[] newSalt() {
        return salts.next(SALT_BYTES);
    }

    /** PBKDF2-HMAC-SHA256 (RFC 8018 section 5.2) of the UTF-8 bytes of {@code password}. */
    byte[] pbkdf2(String password, byte[] salt, int iterations, int bytes) {
        char[] chars = password.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars, salt, iterations, bytes * 8);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is missing from this JVM", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
            iterationsRun.addAndGet(iterations);
        }
    }

    /** Equality of secrets in time that does not depend on where they differ. */
    boolean same(byte[] expected, byte[] actual) {
        return comparison.same(expected, actual);
    }

    long iterationsRun() {
        return iterationsRun.get();
    }

    private static SaltSource randomSalts() {
        SecureRandom random = new SecureRandom();
        return length -> {
            byte[] salt = new byte[length];
            random.nextBytes(salt);
            return salt;
        };
    }
}
