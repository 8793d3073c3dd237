package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs AUTH credential checks away from the SMTP threads and decides their outcome. A check runs on a bounded pool
 * (password hashing is deliberately slow); it first reserves a guess with the {@link AuthThrottle}, and only then
 * checks the credentials. A failure is answered when the failure delay has passed since the check began, by a
 * timer, so no thread sleeps and the hashing time does not show. Each client address may have a few checks running
 * at once on this node; more are refused at once, as is a check that finds the pool full. Waiting checks are taken
 * in order of the failures their address had on this node lately, fewest first, so clients that keep failing (and
 * keep the pool busy with hashing they are sure to lose) wait behind those that do not.
 */
public final class AuthChecks implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthChecks.class);
    /** Checks waiting for a hashing thread, per thread, before new ones are refused. */
    private static final int QUEUED_PER_THREAD = 64;
    /** How long this node remembers an address's failures to order the queue; and how many addresses at most. */
    private static final Duration SUSPICION_MEMORY = Duration.ofMinutes(10);
    private static final int SUSPECTS_KEPT = 100_000;

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
    private final Map<ThrottleKey, Suspicion> suspects = new HashMap<>();
    private final AtomicLong sequence = new AtomicLong();
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

    /** {@code threads} hashing threads with a bounded queue, and a timer thread; {@link #close} stops them. */
    public static AuthChecks start(AuthThrottle throttle, int threads, int maxConcurrentPerAddress, Clock clock) {
        AtomicInteger count = new AtomicInteger();
        int capacity = threads * QUEUED_PER_THREAD;
        // a priority queue (QueuedCheck's order) has no bound of its own: execute below checks its size
        PriorityBlockingQueue<Runnable> queue = new PriorityBlockingQueue<>(capacity);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, queue, runnable -> {
            Thread thread = new Thread(runnable, "dispatch-auth-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        Executor bounded = task -> {
            if (queue.size() >= capacity) {
                throw new RejectedExecutionException(capacity + " AUTH checks are waiting already");
            }
            pool.execute(task);
        };
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "dispatch-auth-timer");
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        return new AuthChecks(throttle, bounded, timer(scheduler), maxConcurrentPerAddress, clock, () -> {
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
            hashing.execute(new QueuedCheck(suspicion(address, started), sequence.incrementAndGet(),
                () -> answer(answer, address, started, failureDelay, () -> decide(clientAddress, claimedLogin, check))));
        } catch (RejectedExecutionException e) {
            answer.complete(AuthOutcome.refused(AuthOutcome.Kind.BUSY, "the AUTH hashing pool is full"));
        }
        return answer;
    }

    private void answer(CompletableFuture<AuthOutcome> answer, ThrottleKey address, Instant started,
                        Duration failureDelay, Supplier<AuthOutcome> decision) {
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
        suspect(address, clock.instant());
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

    /** Failures of the address on this node within SUSPICION_MEMORY: its place in the queue. */
    private synchronized int suspicion(ThrottleKey address, Instant now) {
        Suspicion known = suspects.get(address);
        if (known == null || known.since.isBefore(now.minus(SUSPICION_MEMORY))) {
            suspects.remove(address);
            return 0;
        }
        return known.failures;
    }

    private synchronized void suspect(ThrottleKey address, Instant now) {
        if (suspects.size() >= SUSPECTS_KEPT && !suspects.containsKey(address)) {
            suspects.values().removeIf(known -> known.since.isBefore(now.minus(SUSPICION_MEMORY)));
            if (suspects.size() >= SUSPECTS_KEPT) {
                suspects.clear(); // a flood of addresses: start over rather than grow
            }
        }
        Suspicion known = suspects.get(address);
        if (known == null || known.since.isBefore(now.minus(SUSPICION_MEMORY))) {
            suspects.put(address, new Suspicion(now, 1));
        } else {
            suspects.put(address, new Suspicion(known.since, known.failures + 1));
        }
    }

    private static final class Suspicion {
        final Instant since;
        final int failures;

        Suspicion(Instant since, int failures) {
            this.since = since;
            this.failures = failures;
        }
    }

    /** A check waiting for a hashing thread: fewer recent failures of its address first, then first come. */
    static final class QueuedCheck implements Runnable, Comparable<QueuedCheck> {
        final int suspicion;
        private final long sequence;
        private final Runnable work;

        QueuedCheck(int suspicion, long sequence, Runnable work) {
            this.suspicion = suspicion;
            this.sequence = sequence;
            this.work = work;
        }

        @Override
        public void run() {
            work.run();
        }

        @Override
        public int compareTo(QueuedCheck other) {
            int bySuspicion = Integer.compare(suspicion, other.suspicion);
            return bySuspicion != 0 ? bySuspicion : Long.compare(sequence, other.sequence);
        }
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
