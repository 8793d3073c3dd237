package org.dispatchmail.core.delivery;

import java.util.List;
import java.util.Objects;

/** The result of one SMTP transaction with one server. */
public final class TransactionResult {

    private final List<RecipientOutcome> outcomes;
    private final boolean tryNextHost;

    public TransactionResult(List<RecipientOutcome> outcomes, boolean tryNextHost) {
        this.outcomes = List.copyOf(Objects.requireNonNull(outcomes, "outcomes"));
        this.tryNextHost = tryNextHost;
    }

    /** Exactly one outcome per envelope recipient, in envelope order. */
    public List<RecipientOutcome> outcomes() {
        return outcomes;
    }

    /**
     * True when the failure is about the server rather than the message, so another MX host or address should be
     * tried: no connection or an I/O error before any recipient was accepted, a 421 before the end of data, or a
     * 4xx/5xx greeting.
     */
    public boolean tryNextHost() {
        return tryNextHost;
    }

    @Override
    public String toString() {
        return "TransactionResult{tryNextHost=" + tryNextHost + ", outcomes=" + outcomes + "}";
    }
}
