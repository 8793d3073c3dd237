package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs AUTH credential checks away from the SMTP threads and decides their outcome. A check runs on a bounded pool
 * (password hashing is deliberately slow); it first reserves a guess with the {@link AuthThrottle}, and only then
 * checks the credentials. A failure is answered when the failure delay has passed since the check began, by a
 * timer, so no thread sleeps and the hashing time does not show. Each client address may have a few checks running
 * at once on this node; more are refused at once, as is a check that finds the pool full.
 */
public final class AuthChecks implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthChecks.class);
    /** Checks waiting for a hashing thread, per thread, before new ones are refused. */
    private static final int QUEUED_PER_THREAD = 64;

    /** Runs a task after a delay; a ScheduledExecutorService in production, a hand-driven list in tests. */
    public interface Timer {
        void schedule(Duration delay, Runnable task);
    }

    private final AuthThrottle throttle;
    private final Executor hashing;
    private final Timer timer;
    private final int maxConcurrentPerAddress;
    private final Clock clock;
    private final Map<ThrottleKey, Integer> running = new HashMap<>();
    private final Runnable shutdown;

    AuthChecks(AuthThrottle throttle, Executor hashing, Timer timer, int maxConcurrentPerAddress, Clock clock,
               Runnable shutdown) {
        if (maxConcurrentPerAddress < 1) {
            throw new IllegalArgumentException("concurrent AUTH checks per address must be at least 1");
        }
        this.throttle = throttle;
        this.hashing = hashing;
        this.timer = timer;
        this.maxConcurrentPerAddress = maxConcurrentPerAddress;
        this.clock = clock;
        this.shutdown = shutdown;
    }

    /** Tests: checks on the given executor and timer. */
    public static AuthChecks using(AuthThrottle throttle, Executor hashing, Timer timer, int maxConcurrentPerAddress,
                                   Clock clock) {
        return new AuthChecks(throttle, hashing, timer, maxConcurrentPerAddress, clock, () -> { });
    }

    /** A pool of {@code threads} hashing threads with a bounded queue, and a timer thread; {@link #close} stops them. */
    public static AuthChecks start(AuthThrottle throttle, int threads, int maxConcurrentPerAddress, Clock clock) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(threads * QUEUED_PER_THREAD), runnable -> {
                Thread thread = new Thread(runnable, "dispatch-auth-" + count.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "dispatch-auth-timer");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        return new AuthChecks(throttle, pool, timer(scheduler), maxConcurrentPerAddress, clock, () -> {
            pool.shutdownNow();
            scheduler.shutdownNow();
        });
    }

    private static Timer timer(ScheduledExecutorService scheduler) {
        return (delay, task) -> scheduler.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Checks one set of credentials. {@code claimedLogin} is the login the client named, if it named one (it is
     * counted even when it does not exist); {@code check} does the (slow) work and returns the login as stored when
     * the credentials are right. The future completes on a pool or timer thread, never on the caller's.
     */
    public CompletableFuture<AuthOutcome> check(String clientAddress, Optional<String> claimedLogin,
                                                Supplier<Optional<String>> check, Duration failureDelay) {
        Instant started = clock.instant();
        CompletableFuture<AuthOutcome> answer = new CompletableFuture<>();
        ThrottleKey address = ThrottleKey.address(clientAddress);
        if (!enter(address)) {
            answer.complete(AuthOutcome.refused(AuthOutcome.Kind.BUSY, maxConcurrentPerAddress
                + " AUTH checks of this address are running already"));
            return answer;
        }
        answer.whenComplete((outcome, error) -> leave(address));
        try {
            hashing.execute(() -> answer(answer, started, failureDelay, () -> decide(clientAddress, claimedLogin, check)));
        } catch (RejectedExecutionException e) {
            answer.complete(AuthOutcome.refused(AuthOutcome.Kind.BUSY, "the AUTH hashing pool is full"));
        }
        return answer;
    }

    private void answer(CompletableFuture<AuthOutcome> answer, Instant started, Duration failureDelay,
                        Supplier<AuthOutcome> decision) {
        AuthOutcome outcome;
        try {
            outcome = decision.get();
        } catch (RuntimeException e) {
            LOGGER.error("AUTH check broke", e);
            outcome = AuthOutcome.refused(AuthOutcome.Kind.UNAVAILABLE, "check broke: " + e);
        }
        if (outcome.kind() != AuthOutcome.Kind.INVALID) {
            answer.complete(outcome);
            return;
        }
        Duration left = failureDelay.minus(Duration.between(started, clock.instant()));
        if (left.isNegative() || left.isZero()) {
            answer.complete(outcome);
        } else {
            AuthOutcome failure = outcome;
            timer.schedule(left, () -> answer.complete(failure));
        }
    }

    private AuthOutcome decide(String clientAddress, Optional<String> claimedLogin, Supplier<Optional<String>> check) {
        AuthAttempt attempt;
        try {
            attempt = throttle.reserve(clientAddress, claimedLogin);
        } catch (RuntimeException e) {
            LOGGER.warn("AUTH refused: the failure counts are unavailable: {}", e.getMessage());
            return AuthOutcome.refused(AuthOutcome.Kind.UNAVAILABLE, "failure counts unavailable: " + e.getMessage());
        }
        if (!attempt.allowed()) {
            return AuthOutcome.refused(AuthOutcome.Kind.THROTTLED, attempt.verdict().toString());
        }
        Optional<String> login;
        try {
            login = check.get();
        } catch (RuntimeException e) {
            LOGGER.warn("AUTH check failed: {}", e.toString());
            login = Optional.empty();
        }
        if (login.isEmpty()) {
            // the reservation stays: it is this failure
            return AuthOutcome.refused(AuthOutcome.Kind.INVALID, "credentials wrong");
        }
        try {
            throttle.succeeded(attempt);
        } catch (RuntimeException e) {
            // the credentials were right; the guess stays counted until the window has passed
            LOGGER.warn("AUTH succeeded but its reservation could not be withdrawn: {}", e.getMessage());
        }
        return AuthOutcome.authenticated(login.get());
    }

    private synchronized boolean enter(ThrottleKey address) {
        int now = running.getOrDefault(address, 0);
        if (now >= maxConcurrentPerAddress) {
            return false;
        }
        running.put(address, now + 1);
        return true;
    }

    private synchronized void leave(ThrottleKey address) {
        running.computeIfPresent(address, (key, count) -> count <= 1 ? null : count - 1);
    }

    @Override
    public void close() {
        shutdown.run();
    }
}
