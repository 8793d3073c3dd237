package org.dispatchmail.core.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryDecision;
import org.dispatchmail.core.retry.RetryDecision.Basis;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One prober per destination domain (retry.greylist.singleProber): while a domain's greylisting window is
 * unknown (no hint, no learned window), the first message greylisted there probes it on the probe schedule;
 * greylisted recipients of other messages wait (registered as waiters) until it is done, at the latest until
 * the last probe they would have made. When the prober is delivered, the window it teaches times the waiters:
 * each is tried at its own first deferral + the window's upper bound, its second attempt. When the prober
 * stops probing otherwise (bounced, another failure, probes used up), the waiters are tried now (not before
 * their own first probe), and one of them becomes the next prober.
 *
 * <p>The role belongs to a message: its recipients for the domain share one transaction, so they probe
 * together. The prober row expires by itself after the probe span, so a prober that vanished frees the role.
 * Every step here only makes retries earlier or fewer: when Cassandra cannot answer, recipients probe as if
 * alone.
 */
final class GreylistProbing {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.dispatchmail.delivery");

    /** Kept beyond the last probe (and its jitter) for a prober or waiter row, for attempts that start late. */
    static final Duration ROW_MARGIN = Duration.ofMinutes(5);

    private final QueueStore store;
    private final GreylistMemory memory;
    private final RetryPolicy policy;
    private final RetrySettings settings;

    GreylistProbing(QueueStore store, GreylistMemory memory, RetryPolicy policy, RetrySettings settings) {
        this.store = store;
        this.memory = memory;
        this.policy = policy;
        this.settings = settings;
    }

    /** The coordination for the outcomes of one transaction: one message, one destination domain. */
    Round round(StoredMessage message, String domain, Instant now) {
        return new Round(message, domain, now);
    }

    final class Round implements AttemptPlanner.ProberCoordination {
        private final StoredMessage message;
        private final String domain;
        private final Instant now;
        /** The destination's prober as this round saw it (after taking the role if it was free). */
        private Optional<Prober> role = Optional.empty();
        private boolean roleResolved;
        private boolean waiterChecked;
        /** A recipient of this message goes on probing as the prober. */
        private boolean probing;
        /** A recipient greylisted before left greylisting other than by a delivery that taught a window. */
        private boolean endedOtherwise;
        private Optional<Duration> taughtUpperBound = Optional.empty();

        private Round(StoredMessage message, String domain, Instant now) {
            this.message = message;
            this.domain = domain;
            this.now = now;
        }

        /**
         * The decision for a recipient greylisted in this transaction: as the policy decided (this message
         * probes, or the decision was no probe), or a wait for another message probing the destination.
         */
        @Override
        public RetryDecision greylisted(RecipientRecord record, RetryDecision decision) {
            if (!settings.greylistSingleProber()) {
                return decision;
            }
            if (decision.basis() != Basis.PROBE) {
                // hinted, learned, or past the probes: this recipient no longer probes
                if (record.greylistAttempts() > 0) {
                    endedOtherwise = true;
                }
                return decision;
            }
            try {
                RetryDecision wait = policy.waitForProber(decision, now);
                ProberTurn turn = ProberTurn.of(resolveRole(decision), message.id(), wait.basis());
                if (turn == ProberTurn.PROBE) {
                    probing = true;
                }
                if (turn != ProberTurn.WAIT) {
                    return decision;
                }
                memory.addWaiter(domain, new Waiter(message.id(), record.recipient()),
                    Duration.between(now, wait.retryAt().orElseThrow()).plus(ROW_MARGIN));
                if (!waiterChecked) {
                    waiterChecked = true;
                    // The prober may have finished between the read and the registration, and released the
                    // waiters it saw without this one: look again, and take the role if it is free now.
                    Optional<Prober> again = memory.prober(domain);
                    role = Optional.of(again.orElseGet(() -> memory.becomeProber(domain,
                        new Prober(message.id(), now), proberRowTime(decision))));
                    if (ProberTurn.of(role, message.id(), wait.basis()) == ProberTurn.PROBE) {
                        probing = true;
                        return decision;
                    }
                }
                return wait;
            } catch (RuntimeException e) {
                LOGGER.debug("queue={}: no greylisting prober for {} ({}); probing alone", message.id(), domain,
                    e.getMessage());
                roleResolved = true;
                role = Optional.empty();
                probing = true;
                return decision;
            }
        }

        /** The message a waiting recipient of this round waits for. */
        @Override
        public Optional<UUID> waitingFor() {
            return role.map(Prober::messageId).filter(id -> !id.equals(message.id()));
        }

        private Optional<Prober> resolveRole(RetryDecision decision) {
            if (!roleResolved) {
                roleResolved = true;
                Optional<Prober> current = memory.prober(domain);
                role = Optional.of(current.orElseGet(() -> memory.becomeProber(domain, new Prober(message.id(), now),
                    proberRowTime(decision))));
            }
            return role;
        }

        /** The prober row lasts until the last probe of the message (and its jitter), plus a margin. */
        private Duration proberRowTime(RetryDecision decision) {
            Instant first = decision.firstGreylistedAt().orElse(now);
            Duration left = Duration.between(now, first.plus(settings.lastProbeOffset())
                .plus(settings.greylistMaxJitter()));
            return (left.isNegative() ? Duration.ZERO : left).plus(ROW_MARGIN);
        }

        /** A recipient was delivered; {@code learned} is the window the delivery taught (and was stored). */
        void delivered(RecipientRecord record, Optional<GreylistWindow> learned) {
            if (record.greylistAttempts() == 0) {
                return;
            }
            if (learned.isPresent()) {
                taughtUpperBound = Optional.of(learned.get().upperBound());
            } else {
                endedOtherwise = true;
            }
        }

        /** A recipient bounced, expired, or was deferred for another reason than greylisting. */
        void ended(RecipientRecord record) {
            if (record.greylistAttempts() > 0) {
                endedOtherwise = true;
            }
        }

        /**
         * After the transaction's decisions: if this message was the destination's prober and is done
         * probing, frees the role, then times the waiters.
         */
        void finish() {
            if (!mayBeDoneProbing()) {
                return;
            }
            try {
                boolean prober = roleResolved ? role.map(p -> p.messageId().equals(message.id())).orElse(false)
                    : memory.prober(domain).map(p -> p.messageId().equals(message.id())).orElse(false);
                if (!prober) {
                    return;
                }
                // The role first: a recipient greylisted from now on becomes the next prober or uses the window,
                // rather than waiting for one that is gone.
                memory.removeProber(domain, message.id());
                release(taughtUpperBound);
            } catch (RuntimeException e) {
                LOGGER.warn("queue={}: could not release the recipients waiting for the greylisting of {}: {};"
                    + " they go at their last probe time", message.id(), domain, e.getMessage());
            }
        }

        /**
         * Whether this round may have ended the message's probing, decided from what the round saw alone: a
         * recipient taught a window, or one left greylisting otherwise while none goes on probing.
         */
        private boolean mayBeDoneProbing() {
            return settings.greylistSingleProber() && (taughtUpperBound.isPresent() || endedOtherwise && !probing);
        }

        /** Reads the waiters and their records, lets {@link WaiterRelease} decide, then writes what it decided. */
        private void release(Optional<Duration> upperBound) {
            List<WaiterRelease.Seen> seen = new ArrayList<>();
            for (Waiter waiter : memory.waiters(domain)) {
                seen.add(new WaiterRelease.Seen(waiter, store.recipient(waiter.messageId(), waiter.recipient())));
            }
            WaiterRelease release = WaiterRelease.plan(seen, upperBound, now, policy);
            int released = 0;
            for (UUID waiting : release.messages()) {
                for (WaiterRelease.Update update : release.updates(waiting)) {
                    if (store.update(update.seen(), update.after())) {
                        released++;
                        LOGGER.info("queue={} rcpt={}: greylisting prober {} done, next={}", waiting,
                            update.waiter().recipient(), message.id(), update.after().nextAttemptAt());
                    }
                }
                memory.removeWaiters(domain, waiting);
            }
            LOGGER.info("queue={}: greylisting prober of {} done ({}); {} waiting recipients of {} messages released",
                message.id(), domain, upperBound.map(u -> "window " + u.getSeconds() + "s").orElse("no window"),
                released, release.messages().size());
        }
    }
}
