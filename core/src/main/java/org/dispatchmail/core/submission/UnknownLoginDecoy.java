package org.dispatchmail.core.submission;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * Stands in for a login that does not exist, so that checking it costs the same work and fails the same way as a
 * wrong password (RFC 5802 section 9): real-looking credentials of a random password nobody knows, and a SCRAM salt
 * that is the same every time the same login is tried (an HMAC of the login under a key made at start-up).
 */
final class UnknownLoginDecoy {
    private final byte[] processKey;
    private final Credentials credentials;
    private final int scramIterations;

    UnknownLoginDecoy(PasswordHashing hashing, SecureRandom random) {
        this.processKey = new byte[32];
        random.nextBytes(processKey);
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        this.credentials = Credentials.derive(Base64.getEncoder().encodeToString(secret), hashing);
        this.scramIterations = hashing.scramIterations();
    }

    Credentials credentials() {
        return credentials;
    }

    byte[] scramSalt(String login) {
        byte[] mac = ScramKeys.hmac(processKey, ("scram-salt:" + login).getBytes(StandardCharsets.UTF_8));
        return Arrays.copyOf(mac, PasswordHashing.SALT_BYTES);
    }

    int scramIterations() {
        return scramIterations;
    }
}
