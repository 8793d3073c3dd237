package org.dispatchmail.core.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.junit.jupiter.api.Test;

/**
 * Runs the default policy against a greylister that defers every attempt until D seconds after the first
 * one and gives no hint. Bounds, with the defaults (probes at 35 and 65 s, every minute to 605 s, then 905
 * and 1805 s; greylisting jitter at most 15 s):
 * <ul>
 * <li>probes only: for D in {30, 60, 180, 300, 600, 900} the first probe after D is 5 s after it, so
 *     delivery is at most D + 20 s;</li>
 * <li>any D up to 10 minutes: delivery within a minute of D, plus the 15 s of jitter; any D up to 1800 s:
 *     by the first probe after D, plus 15 s;</li>
 * <li>with the window learned from an earlier recipient of the same destination: that delivery was at most
 *     D + 20 s after its first deferral, so the window's upper bound is too, and the retry (upper bound, a
 *     time the server accepted, so no margin, + 15 s jitter) comes at most D + 35 s after the first attempt,
 *     with 2 attempts in all.</li>
 * </ul>
 */
class GreylistingSimulationTest {
    private static final long[] COMMON_WINDOWS = {30, 60, 180, 300, 600, 900};
    private static final int[] PROBE_ATTEMPTS = {2, 3, 5, 7, 12, 13};
    private static final long[] PROBE_OFFSETS = {35, 65, 125, 185, 245, 305, 365, 425, 485, 545, 605, 905, 1805};
    private static final Instant T0 = Instant.parse("2024-03-01T10:00:00Z");
    private static final RecipientOutcome GREYLISTED = RecipientOutcome.fromReply("rcpt@example.net",
        "mx.example.net", "192.0.2.25", AttemptStage.RCPT,
        SmtpReply.parse(List.of("451 4.7.1 Greylisting in action, please come back later")));

    /** The result of delivering one recipient through a greylister with window D. */
    private static final class Run {
        int attempts;
        Instant deliveredAt;
        Instant lastGreylistedAt;
        RetryState stateAtDelivery;
    }

    private static Run deliver(RetryPolicy policy, long windowSeconds, Optional<GreylistWindow> learned, Instant start) {
        Instant opensAt = start.plusSeconds(windowSeconds);
        RetryState state = RetryState.queued(start);
        Instant now = start;
        Run run = new Run();
        for (int attempt = 1; attempt <= 50; attempt++) {
            if (!now.isBefore(opensAt)) {
                run.attempts = attempt;
                run.deliveredAt = now;
                run.stateAtDelivery = state;
                return run;
            }
            RetryDecision decision = policy.decide(state, GREYLISTED, learned, now);
            assertThat(decision.greylisted()).isTrue();
            assertThat(decision.retryAt()).as("still within the lifetime").isPresent();
            assertThat(decision.retryAt().get()).isAfter(now);
            run.lastGreylistedAt = now;
            state = decision.nextState();
            now = decision.retryAt().get();
        }
        throw new AssertionError("not delivered after 50 attempts with window " + windowSeconds + "s");
    }

    private static RetryPolicy policy(Random random) {
        return new RetryPolicy(RetrySettings.from(new ConfigReader("dispatch.properties", Map.of())), random);
    }

    private static List<Random> randoms() {
        return List.of(RetryPolicyTest.fixed(0.0), RetryPolicyTest.fixed(0.999999), new Random(1), new Random(2),
            new Random(3), new Random(42));
    }

    @Test
    void probesPassTheCommonWindowsSoonAfterTheyEnd() {
        for (Random random : randoms()) {
            RetryPolicy policy = policy(random);
            for (int i = 0; i < COMMON_WINDOWS.length; i++) {
                long d = COMMON_WINDOWS[i];
                Run run = deliver(policy, d, Optional.empty(), T0);

                Duration late = Duration.between(T0.plusSeconds(d), run.deliveredAt);
                assertThat(late).as("lateness for D=%ds", d).isLessThanOrEqualTo(Duration.ofSeconds(20));
                assertThat(run.attempts).as("attempts for D=%ds", d).isEqualTo(PROBE_ATTEMPTS[i]);
            }
        }
    }

    @Test
    void anyWindowUpToThirtyMinutesIsPassedByTheNextProbe() {
        for (Random random : randoms()) {
            RetryPolicy policy = policy(random);
            for (long d = 1; d <= 1800; d += 7) {
                Run run = deliver(policy, d, Optional.empty(), T0);
                long nextProbe = 0;
                for (long offset : PROBE_OFFSETS) {
                    if (offset >= d) {
                        nextProbe = offset;
                        break;
                    }
                }
                // jitter may carry an earlier probe past D; never a later one past its 15 s
                assertThat(run.deliveredAt).as("D=%ds", d)
                    .isBetween(T0.plusSeconds(d), T0.plusSeconds(nextProbe + 15));
                if (d <= 600) {
                    assertThat(run.deliveredAt).as("D=%ds within a minute and the jitter", d)
                        .isBeforeOrEqualTo(T0.plusSeconds(d + 60 + 15));
                }
                assertThat(run.attempts).isLessThanOrEqualTo(14);
            }
        }
    }

    @Test
    void aLearnedWindowPassesInOneRetry() {
        for (Random random : randoms()) {
            RetryPolicy policy = policy(random);
            for (long d : COMMON_WINDOWS) {
                Run teacher = deliver(policy, d, Optional.empty(), T0);
                Optional<GreylistWindow> learned = policy.learnFromDelivery(teacher.stateAtDelivery,
                    teacher.deliveredAt, teacher.lastGreylistedAt);
                assertThat(learned).as("learned from D=%ds", d).isPresent();
                assertThat(learned.get().lowerBound()).isLessThan(Duration.ofSeconds(d));
                assertThat(learned.get().upperBound()).isGreaterThanOrEqualTo(Duration.ofSeconds(d));

                Instant start = teacher.deliveredAt.plus(Duration.ofHours(1));
                Run run = deliver(policy, d, learned, start);

                assertThat(Duration.between(start.plusSeconds(d), run.deliveredAt)).as("lateness for D=%ds", d)
                    .isLessThanOrEqualTo(Duration.ofSeconds(35));
                assertThat(run.attempts).isEqualTo(2);
            }
        }
    }

    @Test
    void aWindowLongerThanTheProbesIsStillPassedOnTheSchedule() {
        RetryPolicy policy = policy(RetryPolicyTest.fixed(0.999999));
        long d = 2400;

        Run run = deliver(policy, d, Optional.empty(), T0);

        // 1805 s probe (+ up to 15 s), then the schedule at the 15 min floor of the last probe gap (+ up to 10%).
        assertThat(run.deliveredAt).isBetween(T0.plusSeconds(1805 + 900), T0.plusSeconds(1805 + 15 + 990));
        assertThat(run.attempts).isEqualTo(15);
    }
}
