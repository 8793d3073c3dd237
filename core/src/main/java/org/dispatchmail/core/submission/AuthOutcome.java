package org.dispatchmail.core.submission;

import java.util.Objects;
import java.util.Optional;

/** How one AUTH check ended; the SMTP layer turns it into a reply. */
public final class AuthOutcome {
    public enum Kind {
        /** Right credentials; {@link #login()} is the login as stored, whatever spelling the client used. */
        AUTHENTICATED,
        /** Wrong credentials, unknown login or malformed exchange: one answer for all (535 5.7.8). */
        INVALID,
        /** Too many recent failures of the address or the login (454 4.7.0). */
        THROTTLED,
        /** The address has too many checks running on this node, or the hashing pool is full (454 4.7.0). */
        BUSY,
        /** The failure counts could not be read or written: refused, never let through (454 4.7.0). */
        UNAVAILABLE
    }

    private final Kind kind;
    private final Optional<String> login;
    private final String reason;

    private AuthOutcome(Kind kind, Optional<String> login, String reason) {
        this.kind = kind;
        this.login = login;
        this.reason = reason;
    }

    static AuthOutcome authenticated(String storedLogin) {
        return new AuthOutcome(Kind.AUTHENTICATED, Optional.of(Objects.requireNonNull(storedLogin)),
            "credentials right");
    }

    static AuthOutcome refused(Kind kind, String reason) {
        if (kind == Kind.AUTHENTICATED) {
            throw new IllegalArgumentException("an authenticated outcome needs its login");
        }
        return new AuthOutcome(kind, Optional.empty(), reason);
    }

    public Kind kind() {
        return kind;
    }

    public Optional<String> login() {
        return login;
    }

    /** For the log only: says which of the refusals it was, which the client is never told. */
    public String reason() {
        return reason;
    }

    @Override
    public String toString() {
        return "AuthOutcome[" + kind + login.map(l -> " " + l).orElse("") + ", " + reason + "]";
    }
}
