package org.dispatchmail.core.delivery;

/**
 * The failures no SMTP reply decided, and for each what it means: temporary or permanent, the RFC 3463 code it
 * is reported with, and whether another server of the destination should be tried. Call sites name the kind and
 * describe the particular case; this table is the one place these three answers are given.
 */
public enum FailureKind {
    /** The recipient's domain is not a valid domain name: no DNS, no relay can fix it. */
    BAD_DOMAIN(Permanence.PERMANENT, "5.1.3", false),
    /** The domain publishes a null MX (RFC 7505): it accepts no mail. */
    NULL_MX(Permanence.PERMANENT, "5.1.10", false),
    /** The domain does not exist. */
    NO_SUCH_DOMAIN(Permanence.PERMANENT, "5.1.2", false),
    /** DNS could not answer now, or a smart host has no usable address. */
    DNS_TEMPORARY(Permanence.TEMPORARY, "4.4.3", false),
    /** No answer to the connection attempt: refused, timed out, unroutable. */
    NO_ANSWER(Permanence.TEMPORARY, "4.4.1", true),
    /** Every server of the destination was unreachable a moment ago: none is tried again yet. */
    ALL_RECENTLY_UNREACHABLE(Permanence.TEMPORARY, "4.4.1", false),
    /** The connection broke or timed out before any recipient was accepted: the server is the problem. */
    CONNECTION_LOST(Permanence.TEMPORARY, "4.4.2", true),
    /**
     * The connection broke once recipients were accepted (or after the data was sent): another server would get
     * them again.
     */
    CONNECTION_LOST_IN_TRANSACTION(Permanence.TEMPORARY, "4.4.2", false),
    /** Our own per-host connection limit was reached and no connection freed up in time. */
    TOO_MANY_CONNECTIONS(Permanence.TEMPORARY, "4.4.5", false),
    /** A fault of this program (a bug or a misbehaving component): stop rather than repeat it on every server. */
    INTERNAL_ERROR(Permanence.TEMPORARY, "4.4.2", false),
    /** The stored message cannot be read: our storage failed, not the network. */
    UNREADABLE_CONTENT(Permanence.TEMPORARY, "4.3.0", false),
    /** TLS was required but the server does not offer it (or refused STARTTLS). */
    TLS_NOT_OFFERED(Permanence.TEMPORARY, "4.7.4", true),
    /** The TLS handshake failed, or the certificate is untrusted or does not name the host. */
    TLS_FAILED(Permanence.TEMPORARY, "4.7.5", true),
    /**
     * The domain's MTA-STS policy is in enforce mode and names none of its MX hosts (RFC 8461 §4.1, §5): no host may
     * be tried. Temporary, as §4.2 wants (the policy or the MX records may be fixed, or a newer policy fetched), with
     * the code of a failed TLS check under MTA-STS, X.7.5 (RFC 3463: a security failure in transport), since
     * the RFC treats an MX host that fails matching like one whose certificate fails validation.
     */
    MTA_STS_NO_VALID_MX(Permanence.TEMPORARY, "4.7.5", false),
    /** Credentials would have been sent without TLS. */
    ENCRYPTION_NEEDED(Permanence.TEMPORARY, "4.7.10", true),
    /** The server offers no AUTH mechanism this client can use. */
    NO_AUTH_MECHANISM(Permanence.TEMPORARY, "4.7.0", true),
    /** The login for a smart host was refused: kept, not bounced, while the admin fixes the password. */
    AUTH_FAILED(Permanence.TEMPORARY, "4.7.8", true),
    /** The envelope has non-ASCII addresses and the server does not offer SMTPUTF8. */
    SMTPUTF8_REQUIRED(Permanence.PERMANENT, "5.6.7", false),
    /** The server advertises a smaller SIZE limit than the message. */
    MESSAGE_TOO_LARGE(Permanence.PERMANENT, "5.3.4", false),
    /** The recipient's lifetime in the queue is over. */
    EXPIRED(Permanence.TEMPORARY, "4.4.7", false);

    private enum Permanence { TEMPORARY, PERMANENT }

    private final Permanence permanence;
    private final EnhancedStatus status;
    private final boolean tryNextHost;

    FailureKind(Permanence permanence, String status, boolean tryNextHost) {
        this.permanence = permanence;
        this.status = EnhancedStatus.parse(status);
        this.tryNextHost = tryNextHost;
    }

    /** How a recipient failed this way stands: TEMPORARY or PERMANENT. */
    public RecipientOutcome.Status outcomeStatus() {
        return permanence == Permanence.PERMANENT ? RecipientOutcome.Status.PERMANENT
            : RecipientOutcome.Status.TEMPORARY;
    }

    /** The RFC 3463 code reported for it. */
    public EnhancedStatus enhancedStatus() {
        return status;
    }

    /** True when the failure is about the server rather than the message, so another server should be tried. */
    public boolean tryNextHost() {
        return tryNextHost;
    }
}
