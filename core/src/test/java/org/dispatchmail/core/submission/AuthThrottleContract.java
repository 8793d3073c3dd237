package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

/**
 * What every AuthThrottle does, run against the in-memory one here and against Cassandra in the integration tests.
 * Each test uses addresses and logins of its own, so a store that outlives one test does not disturb the next.
 */
public abstract class AuthThrottleContract {
    protected static final int PER_ADDRESS = 3;
    protected static final int PER_LOGIN = 4;
    protected static final Duration WINDOW = Duration.ofMinutes(10);

    protected final MovableClock clock = new MovableClock(Instant.now());

    /** A throttle of PER_ADDRESS, PER_LOGIN and WINDOW on the given clock; a second call is a second node. */
    protected abstract AuthThrottle node(ThrottleSettings settings, Clock clock);

    private AuthThrottle node() {
        return node(new ThrottleSettings(PER_ADDRESS, PER_LOGIN, WINDOW), clock);
    }

    private static String ipv4() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(1, 255);
    }

    private static String login() {
        return "user-" + UUID.randomUUID() + "@example.com";
    }

    private static void fail(AuthThrottle throttle, String address, String login) {
        assertThat(throttle.reserve(address, Optional.of(login)).allowed()).isTrue();
    }

    @Test
    void anAddressIsRefusedOnceItHasItsFailuresAndOthersAreNot() {
        AuthThrottle throttle = node();
        String address = ipv4();
        for (int i = 0; i < PER_ADDRESS; i++) {
            fail(throttle, address, login());
        }
        assertThat(throttle.reserve(address, Optional.of(login())).verdict())
            .isEqualTo(AuthAttempt.Verdict.ADDRESS_THROTTLED);
        assertThat(throttle.reserve(address, Optional.empty()).verdict())
            .isEqualTo(AuthAttempt.Verdict.ADDRESS_THROTTLED);
        assertThat(throttle.reserve(ipv4(), Optional.of(login())).allowed()).isTrue();
    }

    @Test
    void aLoginIsRefusedOnceItHasItsFailuresFromAnyAddresses() {
        AuthThrottle throttle = node();
        String login = login();
        for (int i = 0; i < PER_LOGIN; i++) {
            fail(throttle, ipv4(), i % 2 == 0 ? login : login.toUpperCase());
        }
        assertThat(throttle.reserve(ipv4(), Optional.of(login)).verdict()).isEqualTo(AuthAttempt.Verdict.LOGIN_THROTTLED);
        assertThat(throttle.reserve(ipv4(), Optional.of(" " + login.toUpperCase() + " ")).verdict())
            .isEqualTo(AuthAttempt.Verdict.LOGIN_THROTTLED);
        assertThat(throttle.reserve(ipv4(), Optional.of(login())).allowed()).isTrue();
    }

    @Test
    void anIpv6ClientIsCountedPerSlash64() {
        AuthThrottle throttle = node();
        String prefix = "2001:db8:" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1, 0xffff)) + ":7:";
        for (int i = 0; i < PER_ADDRESS; i++) {
            fail(throttle, prefix + (i + 1) + "::" + i, login());
        }
        assertThat(throttle.reserve(prefix + "ffff:1:2:3", Optional.of(login())).verdict())
            .isEqualTo(AuthAttempt.Verdict.ADDRESS_THROTTLED);
        assertThat(throttle.reserve(prefix.replace(":7:", ":8:") + "1", Optional.of(login())).allowed()).isTrue();
    }

    @Test
    void aSuccessForgetsNothingButItsOwnReservation() {
        AuthThrottle throttle = node();
        String address = ipv4();
        String victim = login();
        for (int i = 0; i < PER_ADDRESS - 1; i++) {
            fail(throttle, address, victim);
        }
        // the client's own login succeeds many times: that neither counts nor clears the failures
        String own = login();
        for (int i = 0; i < 5; i++) {
            AuthAttempt attempt = throttle.reserve(address, Optional.of(own));
            assertThat(attempt.allowed()).isTrue();
            throttle.succeeded(attempt);
        }
        fail(throttle, address, victim);
        assertThat(throttle.reserve(address, Optional.of(own)).verdict()).isEqualTo(AuthAttempt.Verdict.ADDRESS_THROTTLED);
    }

    @Test
    void failuresOutsideTheWindowNoLongerCount() {
        AuthThrottle throttle = node();
        String address = ipv4();
        for (int i = 0; i < PER_ADDRESS; i++) {
            fail(throttle, address, login());
        }
        clock.advance(WINDOW.minusSeconds(1));
        assertThat(throttle.reserve(address, Optional.empty()).allowed()).isFalse();
        clock.advance(Duration.ofSeconds(2));
        assertThat(throttle.reserve(address, Optional.empty()).allowed()).isTrue();
    }

    @Test
    void twoNodesCountTogether() {
        AuthThrottle first = node();
        AuthThrottle second = node();
        String login = login();
        for (int i = 0; i < PER_LOGIN; i++) {
            fail(i % 2 == 0 ? first : second, ipv4(), login);
        }
        assertThat(first.reserve(ipv4(), Optional.of(login)).allowed()).isFalse();
        assertThat(second.reserve(ipv4(), Optional.of(login)).allowed()).isFalse();
    }

    @Test
    void parallelSessionsGetNoMoreGuessesThanOne() throws Exception {
        AuthThrottle first = node();
        AuthThrottle second = node();
        String address = ipv4();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<Boolean>> guesses = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                AuthThrottle throttle = i % 2 == 0 ? first : second;
                guesses.add(() -> throttle.reserve(address, Optional.of(login())).allowed());
            }
            int allowed = 0;
            for (Future<Boolean> guess : pool.invokeAll(guesses)) {
                allowed += guess.get() ? 1 : 0;
            }
            assertThat(allowed).isBetween(0, PER_ADDRESS);
            // the allowed ones (all failures) count, the refused ones do not: one after the other, the address
            // gets exactly what is left of its guesses
            while (first.reserve(address, Optional.empty()).allowed()) {
                allowed++;
            }
            assertThat(allowed).isEqualTo(PER_ADDRESS);
        } finally {
            pool.shutdownNow();
        }
    }
}
