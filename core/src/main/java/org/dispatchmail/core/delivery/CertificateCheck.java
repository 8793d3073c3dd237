package org.dispatchmail.core.delivery;

/** What a TLS handshake does with the server's certificate; it is always examined, so logs can say what was wrong. */
enum CertificateCheck {
    /** Any certificate is accepted; one that would fail the checks below is described as "unverified". */
    NOTE_ONLY,
    /** The chain must lead to the trust store (PKIX) and the certificate must name the host, or the handshake fails. */
    PKIX_AND_HOST_NAME
}
