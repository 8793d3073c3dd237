package org.dispatchmail.core.routing;

/** How a connection to a receiving server is secured. */
public enum TlsPolicy {
    /** Plain SMTP; STARTTLS is never attempted. */
    NONE,
    /** STARTTLS when offered, any certificate accepted; plain SMTP when not offered or when the handshake fails. */
    OPPORTUNISTIC,
    /** STARTTLS must succeed with a certificate that is trusted and names the host; otherwise the host is skipped. */
    REQUIRED,
    /** TLS from the first byte (port 465 style), with a trusted certificate that names the host. */
    IMPLICIT
}
