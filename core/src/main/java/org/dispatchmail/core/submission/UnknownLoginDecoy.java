package org.dispatchmail.core.submission;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * Stands in for a login that does not exist, so that checking it costs the same work and fails the same way as a
 * wrong password (RFC 5802 section 9): real-looking credentials of a random password nobody knows, and a SCRAM salt
 * that is the same every time the same login is tried, on every node and after restarts (an HMAC of the login under
 * a secret the cluster shares).
 */
final class UnknownLoginDecoy {
    private final Supplier<byte[]> saltKey;
    private final Credentials credentials;
    private final int scramIterations;

    /** {@code saltKey} is asked at each use, so a rotated secret takes effect on every node alike. */
    UnknownLoginDecoy(PasswordHashing hashing, SecureRandom random, Supplier<byte[]> saltKey) {
        this.saltKey = saltKey;
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.credentials = Credentials.derive(Base64.getEncoder().encodeToString(secret), hashing);
        this.scramIterations = hashing.scramIterations();
    }

    Credentials credentials() {
        return credentials;
    }

    byte[] scramSalt(String login) {
        byte[] mac = ScramKeys.hmac(saltKey.get(), ("scram-salt:" + login).getBytes(StandardCharsets.UTF_8));
        return Arrays.copyOf(mac, PasswordHashing.SALT_BYTES);
    }

    int scramIterations() {
        return scramIterations;
    }
}
