package org.dispatchmail.core.dkim;

import java.util.Locale;

/** The chain validation status of RFC 8617 §4.4, as an ARC-Seal's cv= records it. */
public enum ArcChainStatus {
    /** The message had no ARC set. */
    NONE,
    /** Every ARC-Seal and the latest ARC-Message-Signature verified. */
    PASS,
    /** The chain is malformed, a seal or the latest message signature did not verify, or a sealer already said fail. */
    FAIL;

    /** The value written in cv= and in an "arc=" result. */
    public String token() {
        return name().toLowerCase(Locale.ROOT);
    }
}
