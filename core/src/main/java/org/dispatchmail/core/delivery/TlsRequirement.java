package org.dispatchmail.core.delivery;

import java.util.Objects;
import org.dispatchmail.core.routing.TlsPolicy;

/**
 * What TLS a delivery to one target must have: none, opportunistic, encrypted without authentication, or verified
 * (a certificate that chains to the trust store and names the host). DANE will be another verified kind, with the
 * TLSA records it checks against. Each has a name for the per-attempt log line ({@link #policyName}).
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
    public static final TlsRequirement NONE = new TlsRequirement(Level.NONE, false, "none", "NONE");
    /** STARTTLS if possible, plain text otherwise. */
    public static final TlsRequirement OPPORTUNISTIC =
        new TlsRequirement(Level.OPPORTUNISTIC, false, "opportunistic", "OPPORTUNISTIC");
    /** STARTTLS required, certificate not checked: encryption against passive listeners only. */
    public static final TlsRequirement ENCRYPTED = new TlsRequirement(Level.ENCRYPTED, false, "encrypted", "ENCRYPTED");
    /** STARTTLS required with a verified certificate (the route setting {@code tls=required}). */
    public static final TlsRequirement VERIFIED = new TlsRequirement(Level.VERIFIED, false, "required", "REQUIRED");
    /** TLS from the first byte with a verified certificate (the route setting {@code tls=implicit}). */
    public static final TlsRequirement IMPLICIT_VERIFIED =
        new TlsRequirement(Level.VERIFIED, true, "implicit", "IMPLICIT");
    /**
     * An MTA-STS policy in enforce mode (RFC 8461 §4.2): STARTTLS with a certificate that chains to the trust store
     * and names the MX host, never plain text. It checks what {@link #VERIFIED} checks but is a requirement of its
     * own, so a session made for a route's {@code tls=required} and one made under MTA-STS never share a key.
     */
    public static final TlsRequirement MTA_STS = new TlsRequirement(Level.VERIFIED, false, "mta-sts", "MTA-STS");

    private final Level level;
    private final boolean implicitTls;
    private final String policyName;
    private final String label;

    private TlsRequirement(Level level, boolean implicitTls, String policyName, String label) {
        this.level = level;
        this.implicitTls = implicitTls;
        this.policyName = policyName;
        this.label = label;
    }

    /**
     * An MTA-STS policy in testing mode (RFC 8461 §5): the session behaves exactly as {@code configured} (the
     * route's own requirement) but is named for the policy, so logs say which deliveries enforce would have
     * judged. Its label names both, so it never shares a key with the plain configured requirement.
     */
    public static TlsRequirement mtaStsTesting(TlsRequirement configured) {
        return new TlsRequirement(configured.level, configured.implicitTls, "mta-sts-testing",
            "MTA-STS-TESTING+" + configured.label);
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

    /**
     * The policy the per-attempt log line names: {@code none}, {@code opportunistic}, {@code encrypted},
     * {@code required}, {@code implicit} (a route's {@code tls}), {@code mta-sts} or {@code mta-sts-testing}.
     */
    public String policyName() {
        return policyName;
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
        return level == other.level && implicitTls == other.implicitTls && label.equals(other.label);
    }

    @Override
    public int hashCode() {
        return Objects.hash(level, implicitTls, label);
    }

    /** In the key and in logs; for the requirements a route sets, its {@code tls} word, so logs read as before. */
    @Override
    public String toString() {
        return label;
    }
}
