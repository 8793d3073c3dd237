package org.dispatchmail.core.srs;

import java.util.Objects;
import java.util.Optional;

/** What checking a recipient as an SRS address of this cluster found. */
public final class SrsCheck {
    public enum Kind {
        /** Made here and still valid: {@link #original()} is where mail to it goes. */
        VALID,
        /** Not at the SRS domain, or no SRS0/SRS1 local part: not SRS's business. */
        NOT_SRS,
        /** An SRS local part at the SRS domain that does not parse. */
        MALFORMED,
        /** Its hash was made by none of the kept keys: forged, or made with a retired key. */
        FORGED,
        /** Made here, but longer ago than srs.maxAge (or stamped more than a day ahead). */
        EXPIRED
    }

    private final Kind kind;
    private final Optional<String> original;
    private final String reason;

    private SrsCheck(Kind kind, Optional<String> original, String reason) {
        this.kind = kind;
        this.original = original;
        this.reason = reason;
    }

    static SrsCheck valid(String original) {
        return new SrsCheck(Kind.VALID, Optional.of(original), "valid");
    }

    static SrsCheck notSrs() {
        return new SrsCheck(Kind.NOT_SRS, Optional.empty(), "not an SRS address of this domain");
    }

    static SrsCheck malformed(String reason) {
        return new SrsCheck(Kind.MALFORMED, Optional.empty(), reason);
    }

    static SrsCheck forged() {
        return new SrsCheck(Kind.FORGED, Optional.empty(), "its hash does not check");
    }

    /** Days modulo 1024: a timestamp more than a day ahead reads as made long ago, which it may well be. */
    static SrsCheck expired(long ageDays) {
        return new SrsCheck(Kind.EXPIRED, Optional.empty(), "it was made " + ageDays + " days ago");
    }

    public Kind kind() {
        return kind;
    }

    public boolean isValid() {
        return kind == Kind.VALID;
    }

    /** The address a valid SRS address stands for: the original sender, or the first forwarder's SRS0 address. */
    public Optional<String> original() {
        return original;
    }

    /** Why, in words fit for an SMTP reply. */
    public String reason() {
        return reason;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SrsCheck && ((SrsCheck) other).kind == kind
            && ((SrsCheck) other).original.equals(original);
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, original);
    }

    @Override
    public String toString() {
        return kind + original.map(address -> " " + address).orElse("") + " (" + reason + ")";
    }
}
