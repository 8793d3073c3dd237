package org.dispatchmail.core.dkim;

import java.util.List;
import java.util.Objects;

/** The outcome of sealing: the three new header fields with their instance, or why no set was added. */
public final class ArcSealResult {

    private final List<String> fields;
    private final int instance;
    private final ArcValidation chain;
    private final String reason;

    private ArcSealResult(List<String> fields, int instance, ArcValidation chain, String reason) {
        this.fields = fields;
        this.instance = instance;
        this.chain = Objects.requireNonNull(chain, "chain");
        this.reason = reason;
    }

    static ArcSealResult sealed(List<String> fields, int instance, ArcValidation chain) {
        return new ArcSealResult(List.copyOf(fields), instance, chain, "");
    }

    static ArcSealResult notSealed(ArcValidation chain, String reason) {
        return new ArcSealResult(List.of(), 0, chain, reason);
    }

    public boolean isSealed() {
        return !fields.isEmpty();
    }

    /**
     * ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results, each folded and ending with CRLF, in the order
     * to prepend them: the newest seal on top, as is usual (verifiers find the fields by name and i=, not by
     * position). Empty when not sealed.
     */
    public List<String> fields() {
        return fields;
    }

    /** The i= of the new set; 0 when not sealed. */
    public int instance() {
        return instance;
    }

    /** What validating the chain the message came with gave; its status is the new seal's cv=. */
    public ArcValidation chain() {
        return chain;
    }

    /** Why no set was added; empty when sealed. */
    public String reason() {
        return reason;
    }
}
