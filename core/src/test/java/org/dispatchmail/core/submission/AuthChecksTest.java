package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.PriorityBlockingQueue;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.junit.jupiter.api.Test;

class AuthChecksTest {
    private static final Duration DELAY = Duration.ofSeconds(2);
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final InMemoryAuthThrottle throttle = new InMemoryAuthThrottle(new ThrottleSettings(3, 5,
        Duration.ofMinutes(10)), clock);
    /** Hashing tasks, run when the test says so. */
    private final List<Runnable> pool = new ArrayList<>();
    /** Delayed answers, run when the test says so. */
    private final List<Runnable> timer = new ArrayList<>();
    private final List<Duration> delays = new ArrayList<>();
    private final AuthChecks checks = AuthChecks.using(throttle, pool::add, (delay, task) -> {
        delays.add(delay);
        timer.add(task);
    }, 2, clock);

    private static void runAll(List<Runnable> tasks) {
        List<Runnable> now = new ArrayList<>(tasks);
        tasks.clear();
        now.forEach(Runnable::run);
    }

    @Test
    void rightCredentialsAnswerTheStoredLoginAtOnceFromThePool() {
        CompletableFuture<AuthOutcome> answer = checks.check("192.0.2.1", Optional.of("ALICE@Example.COM"),
            () -> Optional.of("alice@example.com"), DELAY);
        assertThat(answer).isNotDone();

        runAll(pool);

        assertThat(answer.join().kind()).isEqualTo(AuthOutcome.Kind.AUTHENTICATED);
        assertThat(answer.join().login()).contains("alice@example.com");
        assertThat(timer).isEmpty();
    }

    @Test
    void aFailureIsAnsweredByTheTimerWhenTheDelaySinceTheStartHasPassed() {
        CompletableFuture<AuthOutcome> answer = checks.check("192.0.2.1", Optional.of("alice@example.com"), () -> {
            clock.advance(Duration.ofMillis(500)); // hashing takes time; the client must not see how much
            return Optional.empty();
        }, DELAY);

        runAll(pool);
        assertThat(answer).isNotDone();
        assertThat(delays).containsExactly(Duration.ofMillis(1500));

        runAll(timer);
        assertThat(answer.join().kind()).isEqualTo(AuthOutcome.Kind.INVALID);
    }

    @Test
    void aThrottledClientIsRefusedWithoutItsCredentialsBeingChecked() {
        for (int i = 0; i < 3; i++) {
            checks.check("192.0.2.1", Optional.of("user" + i + "@example.com"), Optional::empty, DELAY);
            runAll(pool);
            runAll(timer);
        }
        List<String> checked = new ArrayList<>();
        CompletableFuture<AuthOutcome> answer = checks.check("192.0.2.1", Optional.of("alice@example.com"), () -> {
            checked.add("alice");
            return Optional.of("alice@example.com");
        }, DELAY);
        runAll(pool);

        assertThat(answer.join().kind()).isEqualTo(AuthOutcome.Kind.THROTTLED);
        assertThat(checked).isEmpty();
        assertThat(timer).isEmpty();
    }

    @Test
    void unreachableFailureCountsRefuseTheLoginEvenWithRightCredentials() {
        AuthThrottle away = new AuthThrottle() {
            @Override
            public AuthAttempt reserve(String clientAddress, Optional<String> login) {
                throw new CassandraUnavailableException("Cassandra could not count failed AUTHs: timeout", null);
            }

            @Override
            public void succeeded(AuthAttempt attempt) {
                throw new AssertionError("never reserved");
            }
        };
        Executor direct = Runnable::run;
        AuthChecks failClosed = AuthChecks.using(away, direct, (delay, task) -> task.run(), 2, clock);

        AuthOutcome outcome = failClosed.check("192.0.2.1", Optional.of("alice@example.com"),
            () -> Optional.of("alice@example.com"), DELAY).join();

        assertThat(outcome.kind()).isEqualTo(AuthOutcome.Kind.UNAVAILABLE);
    }

    @Test
    void anAddressGetsAFewChecksAtOnceAndTheNextAsSoonAsOneEnds() {
        String ipv6 = "2001:db8:1:2::10";
        CompletableFuture<AuthOutcome> first = checks.check(ipv6, Optional.empty(), Optional::empty, DELAY);
        checks.check("2001:db8:1:2::11", Optional.empty(), Optional::empty, DELAY);

        assertThat(checks.check("2001:db8:1:2::12", Optional.empty(), Optional::empty, DELAY).join().kind())
            .isEqualTo(AuthOutcome.Kind.BUSY);
        assertThat(checks.check("2001:db8:1:3::12", Optional.empty(), Optional::empty, DELAY)).isNotDone();

        runAll(pool);
        assertThat(first).isNotDone(); // still in its failure delay: it still counts
        runAll(timer);
        assertThat(first.join().kind()).isEqualTo(AuthOutcome.Kind.INVALID);
        assertThat(checks.check(ipv6, Optional.empty(), Optional::empty, DELAY)).isNotDone();
    }

    @Test
    void waitingChecksOfAddressesThatKeepFailingGoLast() {
        PriorityBlockingQueue<Runnable> queue = new PriorityBlockingQueue<>();
        AuthChecks ordered = AuthChecks.using(throttle, queue::add, (delay, task) -> task.run(), 3, clock);
        ordered.check("192.0.2.66", Optional.of("x@example.com"), Optional::empty, DELAY);
        queue.poll().run(); // one failure for .66

        List<String> order = new ArrayList<>();
        ordered.check("192.0.2.66", Optional.of("y@example.com"), () -> {
            order.add("attacker");
            return Optional.empty();
        }, DELAY);
        ordered.check("192.0.2.77", Optional.of("alice@example.com"), () -> {
            order.add("newcomer");
            return Optional.of("alice@example.com");
        }, DELAY);
        while (!queue.isEmpty()) {
            queue.poll().run();
        }

        assertThat(order).containsExactly("newcomer", "attacker");
    }

    @Test
    void aFullPoolRefusesAtOnce() {
        AuthChecks full = AuthChecks.using(throttle, task -> {
            throw new java.util.concurrent.RejectedExecutionException("full");
        }, (delay, task) -> task.run(), 2, clock);

        assertThat(full.check("192.0.2.1", Optional.empty(), Optional::empty, DELAY).join().kind())
            .isEqualTo(AuthOutcome.Kind.BUSY);
        // and the refused check does not hold the address's slot
        assertThat(full.check("192.0.2.1", Optional.empty(), Optional::empty, DELAY).join().kind())
            .isEqualTo(AuthOutcome.Kind.BUSY);
        assertThat(full.check("192.0.2.1", Optional.empty(), Optional::empty, DELAY).join().reason())
            .contains("pool is full");
    }

    @Test
    void aSuccessLeavesTheAddressesOtherFailuresCounted() {
        checks.check("192.0.2.7", Optional.of("bob@example.com"), Optional::empty, DELAY);
        checks.check("192.0.2.7", Optional.of("carol@example.com"), Optional::empty, DELAY);
        runAll(pool);
        runAll(timer);
        CompletableFuture<AuthOutcome> own = checks.check("192.0.2.7", Optional.of("alice@example.com"),
            () -> Optional.of("alice@example.com"), DELAY);
        runAll(pool);
        assertThat(own.join().kind()).isEqualTo(AuthOutcome.Kind.AUTHENTICATED);

        checks.check("192.0.2.7", Optional.of("dave@example.com"), Optional::empty, DELAY);
        runAll(pool);
        runAll(timer);
        CompletableFuture<AuthOutcome> after = checks.check("192.0.2.7", Optional.of("alice@example.com"),
            () -> Optional.of("alice@example.com"), DELAY);
        runAll(pool);
        assertThat(after.join().kind()).isEqualTo(AuthOutcome.Kind.THROTTLED);
    }
}
