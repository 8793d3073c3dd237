package org.dispatchmail.core.submission;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** One reserved guess, or a refusal; see {@link AuthThrottle#reserve}. */
public final class AuthAttempt {
    /** What the throttle said. */
    public enum Verdict {
        ALLOWED,
        /** The client address (or its /64) has too many recent failures. */
        ADDRESS_THROTTLED,
        /** The login has too many recent failures, from wherever they came. */
        LOGIN_THROTTLED
    }

    private final Verdict verdict;
    private final List<ThrottleKey> keys;
    private final Instant at;
    private final UUID id;

    AuthAttempt(Verdict verdict, List<ThrottleKey> keys, Instant at, UUID id) {
        this.verdict = verdict;
        this.keys = List.copyOf(keys);
        this.at = at;
        this.id = id;
    }

    static AuthAttempt refused(Verdict verdict) {
        return new AuthAttempt(verdict, List.of(), Instant.EPOCH, new UUID(0, 0));
    }

    public Verdict verdict() {
        return verdict;
    }

    public boolean allowed() {
        return verdict == Verdict.ALLOWED;
    }

    List<ThrottleKey> keys() {
        return keys;
    }

    Instant at() {
        return at;
    }

    UUID id() {
        return id;
    }

    static List<ThrottleKey> keysOf(String clientAddress, Optional<String> login) {
        return login.isPresent() ? List.of(ThrottleKey.address(clientAddress), ThrottleKey.login(login.get()))
            : List.of(ThrottleKey.address(clientAddress));
    }

    @Override
    public String toString() {
        return "AuthAttempt[" + verdict + " " + keys + "]";
    }
}
