package org.dispatchmail.core.submission;

import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;

/** Cheap hashing for tests, with pinned salts when asked and a record of every secret comparison. */
final class TestHashing {
    static final byte[] RFC7677_SALT = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    final List<int[]> comparisons = Collections.synchronizedList(new ArrayList<>());
    final PasswordHashing hashing;

    private TestHashing(int pbkdf2Iterations, int scramIterations, PasswordHashing.SaltSource salts) {
        this.hashing = new PasswordHashing(pbkdf2Iterations, scramIterations, salts, (expected, actual) -> {
            comparisons.add(new int[] {expected.length, actual.length});
            return MessageDigest.isEqual(expected, actual);
        });
    }

    /** Random salts, 1000 PBKDF2 iterations, 4096 SCRAM iterations. */
    static TestHashing fast() {
        java.security.SecureRandom random = new java.security.SecureRandom();
        return new TestHashing(1000, 4096, length -> {
            byte[] salt = new byte[length];
            random.nextBytes(salt);
            return salt;
        });
    }

    /** Random salts, 1000 PBKDF2 iterations, the given SCRAM iterations. */
    static TestHashing withScramIterations(int scramIterations) {
        java.security.SecureRandom random = new java.security.SecureRandom();
        return new TestHashing(1000, scramIterations, length -> {
            byte[] salt = new byte[length];
            random.nextBytes(salt);
            return salt;
        });
    }

    /** Cluster secrets of this test alone (the SCRAM decoy key among them). */
    static ClusterSecrets secrets() {
        return new InMemoryClusterSecrets(Clock.systemUTC(), new java.security.SecureRandom());
    }

    /** Every salt is RFC 7677's example salt, so its exchange can be replayed. */
    static TestHashing withRfc7677Salt() {
        return new TestHashing(1000, 4096, length -> RFC7677_SALT.clone());
    }
}
