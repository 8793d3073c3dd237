package org.dispatchmail.core.worker;

import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.retry.RetryDecision.Basis;

/**
 * What a recipient does whose policy decision is to probe a greylisting destination, given the destination's prober
 * as {@link GreylistProbing.Round} saw it. Deciding only: the round reads the prober, takes the role and registers
 * waiters.
 */
enum ProberTurn {
    /** No prober could be had, or this recipient's message is the prober: it probes as the policy decided. */
    PROBE,
    /** Another message probes: the recipient waits for it. */
    WAIT,
    /** Another message probes, but waiting would not come before the recipient's own probe: the decision stands. */
    KEEP;

    /**
     * @param waitBasis the basis of the policy's decision for waiting ({@code RetryPolicy.waitForProber}): anything
     *                  but {@link Basis#WAIT_FOR_PROBER} means that waiting would not come earlier
     */
    static ProberTurn of(Optional<Prober> prober, UUID messageId, Basis waitBasis) {
        if (prober.isEmpty() || prober.get().messageId().equals(messageId)) {
            return PROBE;
        }
        return waitBasis == Basis.WAIT_FOR_PROBER ? WAIT : KEEP;
    }
}
