package org.dispatchmail.core.crypto;

/** crypto.provider: which JCA provider DKIM's RSA and the node's TLS primitives come from. */
public enum CryptoProvider {
    /** Amazon Corretto Crypto Provider (native AWS-LC) first when it loads and passes its self-tests, else the JDK's. */
    NATIVE,
    /** The JDK's own providers only. */
    JDK
}
