package org.dispatchmail.core.delivery;

import java.util.Objects;
import org.dispatchmail.core.routing.TlsPolicy;

/**
 * What TLS a delivery to one target must have: none, opportunistic, encrypted without authentication, or verified
 * (a certificate that chains to the trust store and names the host). DANE will be another verified kind, with the
 * TLSA records it checks against.
 *
 * <p>It is part of {@link SmtpTarget#key()}, so a session opened under one requirement never carries mail that
 * needs another: two domains sharing an MX host do not share a session made under the weaker requirement. Only an
 * opportunistic requirement ever falls back to plain text after a failed handshake.
 */
public final class TlsRequirement {

    /** How far the session must be protected. */
    public enum Level {
        /** Plain SMTP; STARTTLS is never attempted. */
        NONE,
        /** STARTTLS when offered, any certificate; plain text when not offered or when the handshake fails. */
        OPPORTUNISTIC,
        /** TLS must be established, but any certificate is accepted (it is only noted). */
        ENCRYPTED,
        /** TLS with a certificate that chains to the trust store (PKIX) and names the host. */
        VERIFIED
    }

    /** Plain SMTP. */
    public static final TlsRequirement NONE = new TlsRequirement(Level.NONE, false, "NONE");
    /** STARTTLS if possible, plain text otherwise. */
    public static final TlsRequirement OPPORTUNISTIC = new TlsRequirement(Level.OPPORTUNISTIC, false, "OPPORTUNISTIC");
    /** STARTTLS required, certificate not checked: encryption against passive listeners only. */
    public static final TlsRequirement ENCRYPTED = new TlsRequirement(Level.ENCRYPTED, false, "ENCRYPTED");
    /** STARTTLS required with a verified certificate (the route setting {@code tls=required}). */
    public static final TlsRequirement VERIFIED = new TlsRequirement(Level.VERIFIED, false, "REQUIRED");
    /** TLS from the first byte with a verified certificate (the route setting {@code tls=implicit}). */
    public static final TlsRequirement IMPLICIT_VERIFIED = new TlsRequirement(Level.VERIFIED, true, "IMPLICIT");

    private final Level level;
    private final boolean implicitTls;
    private final String label;

    private TlsRequirement(Level level, boolean implicitTls, String label) {
        this.level = level;
        this.implicitTls = implicitTls;
        this.label = label;
    }

    /** The requirement a route's {@code tls} setting stands for; each behaves exactly as that setting always has. */
    public static TlsRequirement configured(TlsPolicy policy) {
        switch (Objects.requireNonNull(policy, "policy")) {
            case NONE:
                return NONE;
            case OPPORTUNISTIC:
                return OPPORTUNISTIC;
            case REQUIRED:
                return VERIFIED;
            case IMPLICIT:
                return IMPLICIT_VERIFIED;
            default:
                throw new IllegalArgumentException("unknown TLS policy " + policy);
        }
    }

    public Level level() {
        return level;
    }

    /** TLS from the first byte (port 465 style) rather than STARTTLS. */
    public boolean implicitTls() {
        return implicitTls;
    }

    /** STARTTLS is sent when the server offers it. */
    boolean usesStartTls() {
        return level != Level.NONE && !implicitTls;
    }

    /** Without TLS established (as this requirement checks it) the host is skipped, never used in plain text. */
    boolean mandatory() {
        return level == Level.ENCRYPTED || level == Level.VERIFIED;
    }

    /** What a handshake does with the server's certificate. */
    CertificateCheck certificateCheck() {
        return level == Level.VERIFIED ? CertificateCheck.PKIX_AND_HOST_NAME : CertificateCheck.NOTE_ONLY;
    }

    /**
     * Only opportunistic TLS may reconnect in plain text after a failed handshake (like Postfix's "may"); a
     * requirement that TLS be established, let alone verified, never does: that would be the downgrade it exists
     * to prevent.
     */
    boolean allowsPlainTextAfterFailedHandshake() {
        return level == Level.OPPORTUNISTIC;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TlsRequirement)) {
            return false;
        }
        TlsRequirement other = (TlsRequirement) o;
        return level == other.level && implicitTls == other.implicitTls;
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, implicitTls);
    }

    /** In the key and in logs; for the requirements a route sets, its {@code tls} word, so logs read as before. */
    @Override
    public String toString() {
        return label;
    }
}
