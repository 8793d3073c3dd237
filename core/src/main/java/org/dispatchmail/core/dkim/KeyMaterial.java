package org.dispatchmail.core.dkim;

/** What one algorithm's private key does for DKIM: sign header data, and show its public half for DNS. */
interface KeyMaterial {

    /** The signature of the canonical header data, as the algorithm defines it for DKIM. */
    byte[] sign(byte[] data);

    /** The p= value of the DNS key record, not yet base64-encoded. */
    byte[] publicKeyForDns();
}
