package org.dispatchmail.core.queue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Greylisting windows learned per destination and shared by every node: the first greylisted
 * recipient of a domain teaches when the others may be retried. While a domain's window is unknown,
 * one message (the prober) probes it and the other greylisted recipients (the waiters) wait for what
 * it learns.
 */
public interface GreylistMemory {

    Optional<LearnedWindow> window(String destination);

    void remember(String destination, LearnedWindow window, Duration keepFor);

    /** The message probing the destination's greylisting, if any. */
    Optional<Prober> prober(String destination);

    /**
     * Makes {@code candidate} the destination's prober for {@code keepFor} unless there already is one
     * (atomically, across nodes). Returns the prober in place afterwards: the candidate, or the one that
     * was there first.
     */
    Prober becomeProber(String destination, Prober candidate, Duration keepFor);

    /** Removes the destination's prober if it is still the message {@code messageId}. */
    void removeProber(String destination, UUID messageId);

    /** Registers a recipient that waits for the destination's prober, for {@code keepFor}. */
    void addWaiter(String destination, Waiter waiter, Duration keepFor);

    /** The recipients waiting for the destination's prober. */
    List<Waiter> waiters(String destination);

    /** Forgets the waiters of one message for the destination. */
    void removeWaiters(String destination, UUID messageId);

    /** The message probing a destination, since when. */
    final class Prober {
        private final UUID messageId;
        private final Instant since;

        public Prober(UUID messageId, Instant since) {
            this.messageId = Objects.requireNonNull(messageId, "messageId");
            this.since = Objects.requireNonNull(since, "since");
        }

        public UUID messageId() {
            return messageId;
        }

        public Instant since() {
            return since;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Prober && ((Prober) o).messageId.equals(messageId) && ((Prober) o).since.equals(since);
        }

        @Override
        public int hashCode() {
            return Objects.hash(messageId, since);
        }

        @Override
        public String toString() {
            return "prober " + messageId + " since " + since;
        }
    }

    /** A recipient waiting for a destination's prober. */
    final class Waiter {
        private final UUID messageId;
        private final String recipient;

        public Waiter(UUID messageId, String recipient) {
            this.messageId = Objects.requireNonNull(messageId, "messageId");
            this.recipient = Objects.requireNonNull(recipient, "recipient");
        }

        public UUID messageId() {
            return messageId;
        }

        public String recipient() {
            return recipient;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Waiter && ((Waiter) o).messageId.equals(messageId)
                && ((Waiter) o).recipient.equals(recipient);
        }

        @Override
        public int hashCode() {
            return Objects.hash(messageId, recipient);
        }

        @Override
        public String toString() {
            return messageId + "/" + recipient;
        }
    }

    /** Between {@code lower} and {@code upper} after the first greylisted attempt, the window ended. */
    final class LearnedWindow {
        private final Duration lower;
        private final Duration upper;
        private final Instant observedAt;

        public LearnedWindow(Duration lower, Duration upper, Instant observedAt) {
            this.lower = lower;
            this.upper = upper;
            this.observedAt = observedAt;
        }

        public Duration lower() {
            return lower;
        }

        public Duration upper() {
            return upper;
        }

        public Instant observedAt() {
            return observedAt;
        }
    }
}
