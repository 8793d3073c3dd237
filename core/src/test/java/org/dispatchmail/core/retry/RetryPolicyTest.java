package org.dispatchmail.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.retry.RetryDecision.Basis;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {
    private static final Instant T0 = Instant.parse("2024-03-01T10:00:00Z");

    /** A Random whose every draw is the same, to pin jitter at a known point. */
    static Random fixed(double value) {
        return new Random() {
            @Override
            public double nextDouble() {
                return value;
            }
        };
    }

    /** The mechanics below are written against this probe schedule (35, 65, 190, 310, 610, 910, 1810 s). */
    static final String PROBES = "35s,30s,125s,120s,300s,300s,900s";

    static RetrySettings settings(String... keyValues) {
        Map<String, String> values = new HashMap<>();
        values.put("retry.greylist.probes", PROBES);
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put(keyValues[i], keyValues[i + 1]);
        }
        return RetrySettings.from(new ConfigReader("dispatch.properties", values));
    }

    private static RetryPolicy noJitter() {
        return new RetryPolicy(settings("retry.jitter", "0", "retry.greylist.jitter", "0"), fixed(0.5));
    }

    static RecipientOutcome reply(String line) {
        return RecipientOutcome.fromReply("rcpt@example.net", "mx.example.net", "192.0.2.25",
            AttemptStage.RCPT, SmtpReply.parse(List.of(line)));
    }

    static final RecipientOutcome GREYLISTED =
        reply("450 4.2.0 <rcpt@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html");
    static final RecipientOutcome MAILBOX_FULL = reply("452 4.2.2 Mailbox full");

    private static RetryState greylisted(int attempts, int greylistAttempts, Instant first) {
        return new RetryState(T0, attempts, greylistAttempts, Optional.of(first), 0);
    }

    @Test
    void otherTemporaryFailuresFollowTheScheduleByAttempts() {
        RetryPolicy policy = noJitter();
        Instant now = T0.plusSeconds(3600);

        assertThat(policy.decide(RetryState.queued(T0), MAILBOX_FULL, Optional.empty(), T0).retryAt())
            .contains(T0.plusSeconds(60));
        RetryDecision sixth = policy.decide(new RetryState(T0, 5, 0, Optional.empty(), 0), MAILBOX_FULL,
            Optional.empty(), now);
        assertThat(sixth.retryAt()).contains(now.plus(Duration.ofHours(2)));
        assertThat(sixth.basis()).isEqualTo(Basis.SCHEDULE);
        assertThat(sixth.greylisted()).isFalse();
        assertThat(sixth.nextState()).isEqualTo(new RetryState(T0, 6, 0, Optional.empty(), 0));
        assertThat(policy.decide(new RetryState(T0, 40, 0, Optional.empty(), 0), MAILBOX_FULL, Optional.empty(), now)
            .retryAt()).contains(now.plus(Duration.ofHours(4)));
    }

    @Test
    void aFailureWithoutReplyFollowsTheSchedule() {
        RecipientOutcome refused = RecipientOutcome.failureAt("rcpt@example.net", "mx.example.net",
            "192.0.2.25", AttemptStage.CONNECT, FailureKind.NO_ANSWER, "connection refused");

        RetryDecision d = noJitter().decide(RetryState.queued(T0), refused, Optional.empty(), T0);

        assertThat(d.retryAt()).contains(T0.plusSeconds(60));
        assertThat(d.greylisted()).isFalse();
    }

    @Test
    void jitterOnlyDelaysAndStaysWithinItsShare() {
        RetryPolicy high = new RetryPolicy(settings(), fixed(0.999));
        RetryPolicy low = new RetryPolicy(settings(), fixed(0.0));

        Instant late = high.decide(new RetryState(T0, 6, 0, Optional.empty(), 0), MAILBOX_FULL, Optional.empty(), T0)
            .retryAt().get();
        Instant early = low.decide(new RetryState(T0, 6, 0, Optional.empty(), 0), MAILBOX_FULL, Optional.empty(), T0)
            .retryAt().get();

        assertThat(early).isEqualTo(T0.plus(Duration.ofHours(4)));
        assertThat(Duration.between(T0, late)).isGreaterThan(Duration.ofHours(4).plusMinutes(23))
            .isLessThanOrEqualTo(Duration.ofHours(4).plusMinutes(24));
    }

    @Test
    void greylistJitterIsCapped() {
        RetryPolicy policy = new RetryPolicy(settings("retry.greylist.jitter", "50%"), fixed(0.999));
        RecipientOutcome hinted = reply("451 4.7.1 Greylisted, try again in 20 minutes");

        Instant at = policy.decide(RetryState.queued(T0), hinted, Optional.empty(), T0).retryAt().get();

        assertThat(Duration.between(T0, at)).isEqualTo(Duration.ofMinutes(20).plusSeconds(10 + 15));
    }

    @Test
    void aHintIsFollowedOnceWithTheMargin() {
        RetryPolicy policy = noJitter();
        RecipientOutcome hinted = reply("451 4.7.1 Greylisted, try again in 300 seconds");

        RetryDecision first = policy.decide(RetryState.queued(T0), hinted, Optional.empty(), T0);

        assertThat(first.retryAt()).contains(T0.plusSeconds(310));
        assertThat(first.basis()).isEqualTo(Basis.HINT);
        assertThat(first.greylisted()).isTrue();
        assertThat(first.greylistAttempts()).isEqualTo(1);
        assertThat(first.firstGreylistedAt()).contains(T0);

        Instant second = T0.plusSeconds(310);
        RetryDecision again = policy.decide(first.nextState(), hinted, Optional.empty(), second);

        assertThat(again.basis()).isEqualTo(Basis.PROBE);
        assertThat(again.retryAt()).contains(T0.plusSeconds(610));
        assertThat(again.nextState()).isEqualTo(greylisted(2, 2, T0));
    }

    @Test
    void withoutAHintALearnedWindowDecides() {
        RetryPolicy policy = noJitter();
        GreylistWindow learned = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(300), T0.minusSeconds(3600));

        RetryDecision d = policy.decide(RetryState.queued(T0), GREYLISTED, Optional.of(learned), T0);

        assertThat(d.basis()).isEqualTo(Basis.LEARNED_WINDOW);
        assertThat(d.retryAt()).as("the upper bound, a time at which the server accepted: no hint margin")
            .contains(T0.plusSeconds(300));
    }

    @Test
    void aHintComesBeforeALearnedWindow() {
        GreylistWindow learned = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(300), T0);

        RetryDecision d = noJitter().decide(RetryState.queued(T0), reply("451 Greylisted, please try again in 60 seconds"),
            Optional.of(learned), T0);

        assertThat(d.basis()).isEqualTo(Basis.HINT);
        assertThat(d.retryAt()).contains(T0.plusSeconds(70));
    }

    @Test
    void aLearnedWindowCountsFromTheFirstDeferralAndIsUsedOnlyWhileAhead() {
        RetryPolicy policy = noJitter();
        GreylistWindow learned = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(300), T0);
        Instant first = T0.plusSeconds(100);

        // A second deferral (e.g. after a network error between) still aims at first + upper.
        RetryDecision ahead = policy.decide(greylisted(1, 1, first), GREYLISTED, Optional.of(learned), first.plusSeconds(60));
        assertThat(ahead.retryAt()).contains(first.plusSeconds(300));

        // Greylisted at that time again: the window has grown, the probes take over.
        RetryDecision passed = policy.decide(greylisted(2, 2, first), GREYLISTED, Optional.of(learned), first.plusSeconds(311));
        assertThat(passed.basis()).isEqualTo(Basis.PROBE);
        assertThat(passed.retryAt()).contains(first.plusSeconds(610));
    }

    @Test
    void theDecisionKeepsThePlannedTimeBeforeJitter() {
        RetryPolicy policy = new RetryPolicy(settings(), fixed(0.5));

        RetryDecision probe = policy.decide(RetryState.queued(T0), GREYLISTED, Optional.empty(), T0);
        assertThat(probe.plannedAt()).contains(T0.plusSeconds(35));
        assertThat(probe.retryAt()).contains(T0.plusSeconds(35).plusMillis(1750));

        RetryDecision schedule = policy.decide(RetryState.queued(T0), MAILBOX_FULL, Optional.empty(), T0);
        assertThat(schedule.plannedAt()).contains(T0.plusSeconds(60));
        assertThat(schedule.retryAt()).contains(T0.plusSeconds(63));
    }

    @Test
    void aRecipientWaitingForAProberWaitsUntilItsLastProbe() {
        RetryPolicy policy = new RetryPolicy(settings(), fixed(0.5));
        RetryDecision probe = policy.decide(RetryState.queued(T0), GREYLISTED, Optional.empty(), T0);

        RetryDecision wait = policy.waitForProber(probe, T0);

        assertThat(wait.basis()).isEqualTo(Basis.WAIT_FOR_PROBER);
        assertThat(wait.plannedAt()).as("first deferral + the last probe offset").contains(T0.plusSeconds(1810));
        assertThat(wait.retryAt()).as("with the greylisting jitter, capped at 15 s")
            .contains(T0.plusSeconds(1810 + 15));
        assertThat(wait.greylisted()).isTrue();
        assertThat(wait.nextState()).as("a greylisted deferral like any other").isEqualTo(probe.nextState());

        // a second deferral counts from the first one
        Instant first = T0.minusSeconds(100);
        RetryDecision later = policy.waitForProber(policy.decide(greylisted(1, 1, first), GREYLISTED,
            Optional.empty(), T0), T0);
        assertThat(later.plannedAt()).contains(first.plusSeconds(1810));
    }

    @Test
    void waitingOnlyReplacesAProbeThatComesBeforeTheLastOne() {
        RetryPolicy policy = noJitter();
        GreylistWindow learned = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(300), T0);
        RetryDecision byWindow = policy.decide(RetryState.queued(T0), GREYLISTED, Optional.of(learned), T0);
        assertThat(policy.waitForProber(byWindow, T0)).isSameAs(byWindow);

        RetryDecision lastProbe = policy.decide(greylisted(6, 6, T0), GREYLISTED, Optional.empty(), T0.plusSeconds(910));
        assertThat(lastProbe.plannedAt()).contains(T0.plusSeconds(1810));
        assertThat(policy.waitForProber(lastProbe, T0.plusSeconds(910))).isSameAs(lastProbe);

        RetryDecision schedule = policy.decide(greylisted(7, 7, T0), GREYLISTED, Optional.empty(), T0.plusSeconds(1810));
        assertThat(schedule.basis()).isEqualTo(Basis.SCHEDULE);
        assertThat(policy.waitForProber(schedule, T0.plusSeconds(1810))).isSameAs(schedule);

        // the lifetime ends before the last probe: probe rather than wait past it
        RetryPolicy shortLived = new RetryPolicy(settings("retry.greylist.jitter", "0", "retry.maxLifetime", "20m"),
            fixed(0.5));
        RetryDecision probe = shortLived.decide(RetryState.queued(T0), GREYLISTED, Optional.empty(), T0);
        assertThat(shortLived.waitForProber(probe, T0)).isSameAs(probe);
    }

    @Test
    void aReleasedWaiterGoesAtItsFirstDeferralPlusTheLearnedUpperBoundOrAtOnce() {
        RetryPolicy policy = new RetryPolicy(settings(), fixed(0.5));
        Instant first = T0;

        assertThat(policy.releasedAt(first, Optional.of(Duration.ofSeconds(320)), T0.plusSeconds(300)))
            .as("no margin, no jitter: the upper bound is a time the server accepted")
            .isEqualTo(T0.plusSeconds(320));
        assertThat(policy.releasedAt(first, Optional.of(Duration.ofSeconds(320)), T0.plusSeconds(400)))
            .as("already past: now").isEqualTo(T0.plusSeconds(400));
        assertThat(policy.releasedAt(first, Optional.empty(), T0.plusSeconds(400)))
            .as("no window: now, plus up to retry.greylist.maxJitter").isEqualTo(T0.plusSeconds(400).plusMillis(7500));
        assertThat(policy.releasedAt(first, Optional.empty(), T0.plusSeconds(5)))
            .as("never before its own first probe").isEqualTo(T0.plusSeconds(35).plusMillis(7500));
    }

    @Test
    void aStaleLearnedWindowIsIgnored() {
        GreylistWindow old = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(300),
            T0.minus(Duration.ofDays(8)));

        RetryDecision d = noJitter().decide(RetryState.queued(T0), GREYLISTED, Optional.of(old), T0);

        assertThat(d.basis()).isEqualTo(Basis.PROBE);
        assertThat(d.retryAt()).contains(T0.plusSeconds(35));
    }

    @Test
    void probesCountFromTheFirstDeferralSoSlowAttemptsDoNotShiftThem() {
        RetryPolicy policy = noJitter();

        // The attempt aimed at 65 s took 50 s to fail: the next probe is still at 190 s.
        RetryDecision d = policy.decide(greylisted(2, 2, T0), GREYLISTED, Optional.empty(), T0.plusSeconds(115));
        assertThat(d.retryAt()).contains(T0.plusSeconds(190));

        // A probe time already passed is skipped.
        RetryDecision skip = policy.decide(greylisted(2, 2, T0), GREYLISTED, Optional.empty(), T0.plusSeconds(200));
        assertThat(skip.retryAt()).contains(T0.plusSeconds(310));
    }

    @Test
    void afterTheLastProbeTheScheduleTakesOverNoFasterThanTheLastProbe() {
        RetryPolicy policy = noJitter();
        Instant now = T0.plusSeconds(1810);

        RetryDecision d = policy.decide(greylisted(7, 7, T0), GREYLISTED, Optional.empty(), now);

        assertThat(d.basis()).isEqualTo(Basis.SCHEDULE);
        assertThat(d.greylisted()).isTrue();
        assertThat(d.retryAt()).contains(now.plus(Duration.ofMinutes(15)));
        assertThat(d.greylistAttempts()).isEqualTo(8);

        // Further greylisted deferrals walk down the schedule: 15m floor, then 30m, 1h, ...
        Instant later = now.plus(Duration.ofHours(1));
        assertThat(policy.decide(greylisted(10, 10, T0), GREYLISTED, Optional.empty(), later).retryAt())
            .contains(later.plus(Duration.ofMinutes(30)));
    }

    @Test
    void greylistingProbesDoNotAdvanceTheSchedule() {
        // Delivered past greylisting, then a full mailbox: the schedule starts from its first delay.
        Instant now = T0.plusSeconds(320);
        RetryDecision d = noJitter().decide(greylisted(4, 4, T0), MAILBOX_FULL, Optional.empty(), now);

        assertThat(d.retryAt()).contains(now.plusSeconds(60));
        assertThat(d.nextState()).isEqualTo(new RetryState(T0, 5, 4, Optional.of(T0), 0));
    }

    @Test
    void withProbesDisabledGreylistingFollowsTheSchedule() {
        RetryPolicy policy = new RetryPolicy(settings("retry.greylist.maxProbes", "0", "retry.jitter", "0"), fixed(0.5));

        RetryDecision d = policy.decide(RetryState.queued(T0), GREYLISTED, Optional.empty(), T0);

        assertThat(d.basis()).isEqualTo(Basis.SCHEDULE);
        assertThat(d.retryAt()).contains(T0.plusSeconds(60));
    }

    @Test
    void theLastAttemptIsMadeWhenTheLifetimeEndsThenTheRecipientExpires() {
        RetryPolicy policy = noJitter();
        Instant end = T0.plus(Duration.ofDays(5));
        Instant now = end.minus(Duration.ofHours(1));

        RetryDecision last = policy.decide(new RetryState(T0, 30, 0, Optional.empty(), 1), MAILBOX_FULL,
            Optional.empty(), now);
        assertThat(last.basis()).isEqualTo(Basis.LIFETIME_END);
        assertThat(last.retryAt()).contains(end);

        RetryDecision expired = policy.decide(last.nextState(), MAILBOX_FULL, Optional.empty(), end);
        assertThat(expired.expired()).isTrue();
        assertThat(expired.retryAt()).isEmpty();
        assertThat(expired.basis()).isEqualTo(Basis.EXPIRED);
        assertThat(expired.nextState().attempts()).isEqualTo(32);
    }

    @Test
    void aRetryBeforeTheEndIsKept() {
        Instant now = T0.plus(Duration.ofDays(5)).minus(Duration.ofHours(5));

        RetryDecision d = noJitter().decide(new RetryState(T0, 30, 0, Optional.empty(), 1), MAILBOX_FULL,
            Optional.empty(), now);

        assertThat(d.basis()).isEqualTo(Basis.SCHEDULE);
        assertThat(d.retryAt()).contains(now.plus(Duration.ofHours(4)));
    }

    @Test
    void onlyTemporaryFailuresAreDecided() {
        assertThatThrownBy(() -> noJitter().decide(RetryState.queued(T0), reply("550 5.1.1 no such user"),
            Optional.empty(), T0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDeliveryAfterGreylistingTeachesTheWindow() {
        RetryPolicy policy = noJitter();
        RetryState state = greylisted(4, 4, T0);

        Optional<GreylistWindow> w = policy.learnFromDelivery(state, T0.plusSeconds(310), T0.plusSeconds(190));

        assertThat(w).contains(new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(310), T0.plusSeconds(310)));
    }

    @Test
    void nothingIsLearnedWithoutGreylistingOrFromAVeryLateDelivery() {
        RetryPolicy policy = noJitter();

        assertThat(policy.learnFromDelivery(RetryState.queued(T0), T0.plusSeconds(60), T0)).isEmpty();
        assertThat(policy.learnFromDelivery(greylisted(9, 9, T0), T0.plus(Duration.ofHours(3)), T0.plusSeconds(1810)))
            .isEmpty();
        assertThat(policy.learnFromDelivery(greylisted(1, 1, T0), T0.plusSeconds(60), T0.plusSeconds(60))).isEmpty();
    }

    @Test
    void mergingNarrowsOverlappingWindowsAndReplacesContradictedOnes() {
        Instant t1 = T0;
        Instant t2 = T0.plusSeconds(3600);
        GreylistWindow a = new GreylistWindow(Duration.ofSeconds(65), Duration.ofSeconds(310), t1);
        GreylistWindow b = new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(320), t2);
        GreylistWindow longer = new GreylistWindow(Duration.ofSeconds(610), Duration.ofSeconds(910), t2);

        assertThat(noJitter().merge(a, b)).isEqualTo(new GreylistWindow(Duration.ofSeconds(190), Duration.ofSeconds(310), t2));
        assertThat(noJitter().merge(a, longer)).isEqualTo(longer);
        assertThat(noJitter().merge(longer, a)).isEqualTo(new GreylistWindow(a.lowerBound(), a.upperBound(), t2));
    }

    @Test
    void delayWarningsFollowTheMarks() {
        RetryPolicy policy = new RetryPolicy(settings("retry.delayWarnings", "4h,1d"), fixed(0));
        RetryState s = RetryState.queued(T0);

        assertThat(policy.nextDelayWarningMark(s)).contains(Duration.ofHours(4));
        assertThat(policy.delayWarningDue(s, T0.plus(Duration.ofHours(4)).minusSeconds(1))).isFalse();
        assertThat(policy.delayWarningDue(s, T0.plus(Duration.ofHours(4)))).isTrue();

        RetryState afterFirst = policy.afterDelayWarning(s, T0.plus(Duration.ofHours(5)));
        assertThat(afterFirst.delayWarningsSent()).isEqualTo(1);
        assertThat(policy.nextDelayWarningMark(afterFirst)).contains(Duration.ofDays(1));
        assertThat(policy.delayWarningDue(afterFirst, T0.plus(Duration.ofHours(23)))).isFalse();

        // A node that comes back after both marks sends one warning, not two.
        RetryState late = policy.afterDelayWarning(s, T0.plus(Duration.ofDays(2)));
        assertThat(late.delayWarningsSent()).isEqualTo(2);
        assertThat(policy.delayWarningDue(late, T0.plus(Duration.ofDays(3)))).isFalse();
        assertThat(policy.nextDelayWarningMark(late)).isEmpty();
    }

    @Test
    void noDelayWarningsWhenSetToNever() {
        RetryPolicy policy = new RetryPolicy(settings("retry.delayWarnings", "never"), fixed(0));

        assertThat(policy.delayWarningDue(RetryState.queued(T0), T0.plus(Duration.ofDays(4)))).isFalse();
        assertThat(policy.nextDelayWarningMark(RetryState.queued(T0))).isEmpty();
    }

    @Test
    void inconsistentStatesAreRefused() {
        assertThatThrownBy(() -> new RetryState(T0, 1, 2, Optional.of(T0), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetryState(T0, 2, 1, Optional.empty(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GreylistWindow(Duration.ofSeconds(60), Duration.ofSeconds(60), T0))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
