package org.dispatchmail.core.retry;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.retry.RetryDecision.Basis;

/**
 * Decides when a recipient that failed temporarily is tried again. Greylisting is retried as soon as its
 * window has likely passed, in this order of trust: the delay the reply named (once, on the first
 * deferral); the window learned from earlier deliveries to the same destination (first deferral + its upper
 * bound); the probing schedule
 * (retry.greylist.probes, counted from the first deferral so that slow attempts do not shift it). After
 * retry.greylist.maxProbes greylisted deferrals, or for any other temporary failure, retry.schedule applies.
 *
 * <p>Lifetime: a recipient is never retried past queuedAt + retry.maxLifetime. When the next time would
 * fall after it, one last attempt is made exactly when the lifetime ends (so every recipient gets its full
 * lifetime); a failure at or after that moment expires the recipient.
 *
 * <p>Jitter only ever delays (a greylisting retry made early is wasted): up to retry.jitter of a schedule
 * delay, up to retry.greylist.jitter of a greylisting delay but no more than retry.greylist.maxJitter.
 * No delay is shorter than one second.
 */
public final class RetryPolicy {
    public static final Duration MIN_DELAY = Duration.ofSeconds(1);

    /** A delivery that took longer than this after the first deferral teaches nothing useful about the window. */
    public static final Duration MAX_LEARNABLE_WINDOW = Duration.ofHours(1);

    private final RetrySettings settings;
    private final GreylistDetector detector;
    private final Random random;

    public RetryPolicy(RetrySettings settings, Random random) {
        this(settings, new GreylistDetector(), random);
    }

    public RetryPolicy(RetrySettings settings, GreylistDetector detector, Random random) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.detector = Objects.requireNonNull(detector, "detector");
        this.random = Objects.requireNonNull(random, "random");
    }

    public RetrySettings settings() {
        return settings;
    }

    /**
     * The next step for a recipient whose attempt at {@code now} failed temporarily.
     *
     * @param state the stored state, counting the attempts before this one
     * @param learned the greylisting window learned for the destination, if any (ignored once older than
     *                retry.learnedWindowTtl)
     */
    public RetryDecision decide(RetryState state, RecipientOutcome outcome, Optional<GreylistWindow> learned,
                                Instant now) {
        if (outcome.status() != RecipientOutcome.Status.TEMPORARY) {
            throw new IllegalArgumentException("only a temporary failure is retried: " + outcome);
        }
        Optional<GreylistSignal> signal = detector.detect(outcome);
        RetryState next;
        Instant at;
        Instant planned;
        Basis basis;
        if (signal.isPresent()) {
            Instant first = state.firstGreylistedAt().orElse(now);
            next = new RetryState(state.queuedAt(), state.attempts() + 1, state.greylistAttempts() + 1,
                Optional.of(first), state.delayWarningsSent());
            Greylisted plan = greylistRetry(state, signal.get(), first, learned, now);
            at = plan.at;
            planned = plan.planned;
            basis = plan.basis;
        } else {
            next = new RetryState(state.queuedAt(), state.attempts() + 1, state.greylistAttempts(),
                state.firstGreylistedAt(), state.delayWarningsSent());
            Duration delay = settings.delayAfter(scheduleFailures(state));
            at = now.plus(withJitter(delay, settings.jitter(), null));
            planned = now.plus(delay);
            basis = Basis.SCHEDULE;
        }
        Instant end = state.queuedAt().plus(settings.maxLifetime());
        if (!now.isBefore(end)) {
            return RetryDecision.expire(signal, next);
        }
        if (at.isAfter(end)) {
            return RetryDecision.retry(end, end, Basis.LIFETIME_END, signal, next);
        }
        return RetryDecision.retry(at, planned, basis, signal, next);
    }

    /**
     * The decision for a greylisted recipient whose destination another message is probing
     * (retry.greylist.singleProber): instead of its own probes, it waits until the last probe it would have
     * made (first deferral + the offset of probe retry.greylist.maxProbes, with the greylisting jitter), so
     * that it still goes on its own if nobody releases it earlier. Returns {@code probing} unchanged when
     * waiting does not apply: not a probe decision, or the wait would not end before the lifetime does, or
     * not later than the probe itself.
     */
    public RetryDecision waitForProber(RetryDecision probing, Instant now) {
        if (probing.basis() != Basis.PROBE || probing.firstGreylistedAt().isEmpty()
            || settings.greylistMaxProbes() == 0) {
            return probing;
        }
        Instant target = probing.firstGreylistedAt().get().plus(settings.lastProbeOffset());
        if (!target.isAfter(probing.plannedAt().orElseThrow())) {
            return probing;
        }
        Greylisted wait = greylistAt(now, target, Basis.WAIT_FOR_PROBER);
        if (wait.at.isAfter(probing.nextState().queuedAt().plus(settings.maxLifetime()))) {
            return probing;
        }
        return RetryDecision.retry(wait.at, wait.planned, Basis.WAIT_FOR_PROBER, probing.greylisting(),
            probing.nextState());
    }

    /**
     * When a recipient that waited for a prober is tried, once the prober is done. With the window the prober
     * learned: at its first deferral + the window's upper bound (a time at which the server already accepted,
     * so no margin), or now if that has passed. Without one (the prober bounced, failed otherwise or gave up):
     * now, but not before the first probe this recipient would have made, plus up to retry.greylist.maxJitter.
     * Draw once per message so that its recipients stay together.
     */
    public Instant releasedAt(Instant firstGreylistedAt, Optional<Duration> learnedUpperBound, Instant now) {
        if (learnedUpperBound.isPresent()) {
            Instant target = firstGreylistedAt.plus(learnedUpperBound.get());
            return target.isAfter(now) ? target : now;
        }
        Instant firstProbe = firstGreylistedAt.plus(settings.probeOffset(0));
        Instant base = firstProbe.isAfter(now) ? firstProbe : now;
        return base.plusMillis((long) (settings.greylistMaxJitter().toMillis() * random.nextDouble()));
    }

    private static final class Greylisted {
        final Instant at;
        final Instant planned;
        final Basis basis;

        Greylisted(Instant at, Instant planned, Basis basis) {
            this.at = at;
            this.planned = planned;
            this.basis = basis;
        }
    }

    private Greylisted greylistRetry(RetryState state, GreylistSignal signal, Instant first,
                                     Optional<GreylistWindow> learned, Instant now) {
        Instant earliest = now.plus(MIN_DELAY);
        // The hint is trusted once: if the hinted retry is greylisted again, the hint was wrong or counts
        // from an earlier contact, and the learned window or the probes know better.
        if (state.greylistAttempts() == 0 && signal.hintedDelay().isPresent()) {
            return greylistAt(now, now.plus(signal.hintedDelay().get()).plus(settings.hintMargin()), Basis.HINT);
        }
        Optional<GreylistWindow> window = learned.filter(w -> !w.observedAt().plus(settings.learnedWindowTtl()).isBefore(now));
        if (window.isPresent()) {
            // The upper bound is a time at which the server already accepted: no margin on top.
            Instant target = first.plus(window.get().upperBound());
            if (!target.isBefore(earliest)) {
                return greylistAt(now, target, Basis.LEARNED_WINDOW);
            }
        }
        if (state.greylistAttempts() < settings.greylistMaxProbes()) {
            for (int k = 0; k < settings.greylistMaxProbes(); k++) {
                Instant target = first.plus(settings.probeOffset(k));
                if (!target.isBefore(earliest)) {
                    return greylistAt(now, target, Basis.PROBE);
                }
            }
        }
        // Probing is over: the ordinary schedule, never faster than the last probe went.
        Duration delay = settings.delayAfter(scheduleFailures(state));
        if (settings.greylistMaxProbes() > 0) {
            Duration lastGap = settings.probeGap(settings.greylistMaxProbes() - 1);
            if (lastGap.compareTo(delay) > 0) {
                delay = lastGap;
            }
        }
        return new Greylisted(now.plus(withJitter(delay, settings.jitter(), null)), now.plus(delay), Basis.SCHEDULE);
    }

    private Greylisted greylistAt(Instant now, Instant target, Basis basis) {
        Duration delay = Duration.between(now, target);
        return new Greylisted(now.plus(withJitter(delay, settings.greylistJitter(), settings.greylistMaxJitter())),
            target, basis);
    }

    /**
     * How far along retry.schedule this recipient is: greylisting probes (up to retry.greylist.maxProbes of
     * them) do not count, since they chase a short window rather than a long outage.
     */
    private int scheduleFailures(RetryState state) {
        return state.attempts() - Math.min(state.greylistAttempts(), settings.greylistMaxProbes()) + 1;
    }

    private Duration withJitter(Duration delay, double fraction, Duration cap) {
        long extra = (long) (delay.toMillis() * fraction * random.nextDouble());
        if (cap != null) {
            extra = Math.min(extra, cap.toMillis());
        }
        Duration result = delay.plusMillis(Math.max(0, extra));
        return result.compareTo(MIN_DELAY) < 0 ? MIN_DELAY : result;
    }

    /**
     * What a delivery of a greylisted recipient says about the destination's window: the server still
     * refused at the last greylisted attempt and accepted at delivery, both counted from the first deferral.
     * Empty when the recipient was never greylisted, or when the delivery came so late (more than
     * MAX_LEARNABLE_WINDOW) that the window is too vague to schedule by.
     */
    public Optional<GreylistWindow> learnFromDelivery(RetryState state, Instant deliveredAt, Instant lastGreylistedAt) {
        if (state.firstGreylistedAt().isEmpty()) {
            return Optional.empty();
        }
        Instant first = state.firstGreylistedAt().get();
        Duration lower = Duration.between(first, lastGreylistedAt);
        Duration upper = Duration.between(first, deliveredAt);
        if (lower.isNegative() || upper.compareTo(lower) <= 0 || upper.compareTo(MAX_LEARNABLE_WINDOW) > 0) {
            return Optional.empty();
        }
        return Optional.of(new GreylistWindow(lower, upper, deliveredAt));
    }

    /** See {@link GreylistWindow#merge}. */
    public GreylistWindow merge(GreylistWindow old, GreylistWindow observed) {
        return GreylistWindow.merge(old, observed);
    }

    /** True when the next mark of retry.delayWarnings has passed since the recipient was queued. */
    public boolean delayWarningDue(RetryState state, Instant now) {
        Optional<Duration> mark = nextDelayWarningMark(state);
        return mark.isPresent() && !now.isBefore(state.queuedAt().plus(mark.get()));
    }

    /** The age at which the next delay warning is due; empty when every mark has been dealt with. */
    public Optional<Duration> nextDelayWarningMark(RetryState state) {
        List<Duration> marks = settings.delayWarnings();
        return state.delayWarningsSent() < marks.size() ? Optional.of(marks.get(state.delayWarningsSent()))
            : Optional.empty();
    }

    /**
     * The state after one warning was sent at {@code now}: every mark already passed counts as dealt with,
     * so a recipient that sat unattempted past several marks gets one warning, not a burst.
     */
    public RetryState afterDelayWarning(RetryState state, Instant now) {
        List<Duration> marks = settings.delayWarnings();
        int passed = state.delayWarningsSent();
        while (passed < marks.size() && !now.isBefore(state.queuedAt().plus(marks.get(passed)))) {
            passed++;
        }
        return state.withDelayWarningsSent(Math.min(marks.size(), Math.max(passed, state.delayWarningsSent() + 1)));
    }
}
