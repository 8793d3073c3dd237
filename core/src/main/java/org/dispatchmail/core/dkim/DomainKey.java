package org.dispatchmail.core.dkim;

import java.time.Instant;
import java.util.Optional;

import org.dispatchmail.core.dkim.DkimAlgorithm;

/** A DKIM key as stored: identity, stage, dates, DNS record, and the encrypted private key. */
public final class DomainKey {
    private final String domain;
    private final String selector;
    private final DkimAlgorithm algorithm;
    private final KeyState state;
    private final Instant createdAt;
    private final Optional<Instant> activatedAt;
    private final Optional<Instant> retiredAt;
    private final Optional<Instant> deleteAfter;
    private final String txtValue;
    private final byte[] encryptedPrivateKey;

    public DomainKey(String domain, String selector, DkimAlgorithm algorithm, KeyState state, Instant createdAt,
                     Optional<Instant> activatedAt, Optional<Instant> retiredAt, Optional<Instant> deleteAfter,
                     String txtValue, byte[] encryptedPrivateKey) {
        this.domain = domain;
        this.selector = selector;
        this.algorithm = algorithm;
        this.state = state;
        this.createdAt = createdAt;
        this.activatedAt = activatedAt;
        this.retiredAt = retiredAt;
        this.deleteAfter = deleteAfter;
        this.txtValue = txtValue;
        this.encryptedPrivateKey = encryptedPrivateKey.clone();
    }

    public DomainKey withState(KeyState newState, Optional<Instant> activated, Optional<Instant> retired,
                               Optional<Instant> deleteAt) {
        return new DomainKey(domain, selector, algorithm, newState, createdAt, activated, retired, deleteAt, txtValue,
            encryptedPrivateKey);
    }

    public String domain() {
        return domain;
    }

    public String selector() {
        return selector;
    }

    public DkimAlgorithm algorithm() {
        return algorithm;
    }

    public KeyState state() {
        return state;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Optional<Instant> activatedAt() {
        return activatedAt;
    }

    public Optional<Instant> retiredAt() {
        return retiredAt;
    }

    public Optional<Instant> deleteAfter() {
        return deleteAfter;
    }

    /** The TXT value to publish at {@link #dnsName()}. */
    public String txtValue() {
        return txtValue;
    }

    public String dnsName() {
        return selector + "._domainkey." + domain;
    }

    public byte[] encryptedPrivateKey() {
        return encryptedPrivateKey.clone();
    }

    /** Binds a ciphertext to its key's identity. */
    static String associatedData(String domain, String selector) {
        return "dkim:" + domain + ":" + selector;
    }

    @Override
    public String toString() {
        return dnsName() + " " + algorithm.tag() + " " + state;
    }
}
