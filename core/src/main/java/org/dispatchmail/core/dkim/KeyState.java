package org.dispatchmail.core.dkim;

/** The stages of a DKIM key. */
public enum KeyState {
    /** Made, its TXT record not yet seen in DNS: not used to sign. */
    PENDING,
    /** Published and signing. */
    ACTIVE,
    /** Replaced or retired: no longer signs; its record stays published until it is deleted after the grace period. */
    RETIRED
}
