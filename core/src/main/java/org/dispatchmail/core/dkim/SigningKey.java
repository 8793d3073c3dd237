package org.dispatchmail.core.dkim;

import java.util.Objects;

/** One signing key with the identity it signs for: the d= domain and the s= selector. */
public final class SigningKey {

    private final String domain;
    private final String selector;
    private final DkimPrivateKey key;

    /** Domain and selector are checked (ASCII, A-labels for international names) and lowercased. */
    public SigningKey(String domain, String selector, DkimPrivateKey key) {
        this.domain = DnsNames.domain(domain);
        this.selector = DnsNames.selector(selector);
        this.key = Objects.requireNonNull(key, "key");
    }

    public String domain() {
        return domain;
    }

    public String selector() {
        return selector;
    }

    public DkimPrivateKey key() {
        return key;
    }

    @Override
    public String toString() {
        return "SigningKey[" + selector + "._domainkey." + domain + ", " + key.algorithm().tag() + "]";
    }
}
