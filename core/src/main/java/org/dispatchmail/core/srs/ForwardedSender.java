package org.dispatchmail.core.srs;

import java.util.Optional;

/** The envelope sender that forwarded mail leaves with: an SRS address, or the original one and why. */
public final class ForwardedSender {
    public enum Kind {
        /** {@link #address()} is the SRS address that replaces the sender. */
        REWRITTEN,
        /** srs.domain is not set. */
        SRS_OFF,
        /** The null sender {@code <>}: a bounce, which is never rewritten. */
        NULL_SENDER,
        /** Already an address of the SRS domain: wrapping it again would only lengthen it. */
        ALREADY_OURS,
        /** Not an address SRS can carry (no domain, a quoted local part). */
        UNSUPPORTED
    }

    private final Kind kind;
    private final Optional<String> address;

    private ForwardedSender(Kind kind, Optional<String> address) {
        this.kind = kind;
        this.address = address;
    }

    static ForwardedSender rewritten(String address) {
        return new ForwardedSender(Kind.REWRITTEN, Optional.of(address));
    }

    static ForwardedSender unchanged(Kind why) {
        return new ForwardedSender(why, Optional.empty());
    }

    public Kind kind() {
        return kind;
    }

    /** The SRS address, when rewritten. */
    public Optional<String> address() {
        return address;
    }

    @Override
    public String toString() {
        return kind + address.map(value -> " " + value).orElse("");
    }
}
