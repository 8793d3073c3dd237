package org.dispatchmail.core.retry;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/** A temporary failure recognised as greylisting, with the delay the server named, if it named one. */
public final class GreylistSignal {
    private final Optional<Duration> hintedDelay;
    private final String evidence;

    public GreylistSignal(Optional<Duration> hintedDelay, String evidence) {
        this.hintedDelay = Objects.requireNonNull(hintedDelay, "hintedDelay");
        this.evidence = Objects.requireNonNull(evidence, "evidence");
    }

    /** The delay stated in the reply ("try again in 300 seconds"), already bounded to a sane range. */
    public Optional<Duration> hintedDelay() {
        return hintedDelay;
    }

    /** The part of the reply that gave greylisting away, for logs. */
    public String evidence() {
        return evidence;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GreylistSignal && ((GreylistSignal) o).hintedDelay.equals(hintedDelay)
            && ((GreylistSignal) o).evidence.equals(evidence);
    }

    @Override
    public int hashCode() {
        return Objects.hash(hintedDelay, evidence);
    }

    @Override
    public String toString() {
        return "greylisted (" + evidence + ")" + hintedDelay.map(d -> ", retry hinted after " + d.getSeconds() + "s").orElse("");
    }
}
