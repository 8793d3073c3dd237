package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class InMemoryAuthThrottleTest {
    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-29T10:00:00Z"));
    private final AuthThrottle throttle = new InMemoryAuthThrottle(3, Duration.ofMinutes(10), Duration.ofMinutes(30),
        clock);

    @Test
    void blocksAfterMaxFailuresWithinTheWindowForTheBlockTime() {
        throttle.recordFailure("192.0.2.1");
        throttle.recordFailure("192.0.2.1");
        assertThat(throttle.blocked("192.0.2.1")).isFalse();

        throttle.recordFailure("192.0.2.1");
        assertThat(throttle.blocked("192.0.2.1")).isTrue();
        assertThat(throttle.blocked("192.0.2.2")).isFalse();

        clock.advance(Duration.ofMinutes(29));
        assertThat(throttle.blocked("192.0.2.1")).isTrue();
        clock.advance(Duration.ofMinutes(1));
        assertThat(throttle.blocked("192.0.2.1")).isFalse();
    }

    @Test
    void failuresOutsideTheWindowDoNotCount() {
        throttle.recordFailure("2001:db8::1");
        throttle.recordFailure("2001:db8::1");
        clock.advance(Duration.ofMinutes(10));
        throttle.recordFailure("2001:DB8::1");

        assertThat(throttle.blocked("2001:db8::1")).isFalse();
    }

    @Test
    void aSuccessForgetsEarlierFailures() {
        throttle.recordFailure("192.0.2.1");
        throttle.recordFailure("192.0.2.1");
        throttle.recordSuccess("192.0.2.1");
        throttle.recordFailure("192.0.2.1");

        assertThat(throttle.blocked("192.0.2.1")).isFalse();
    }

    @Test
    void nonsenseSettingsAreRefused() {
        assertThatThrownBy(() -> new InMemoryAuthThrottle(0, Duration.ofMinutes(1), Duration.ofMinutes(1), clock))
            .hasMessageContaining("maxFailures");
        assertThatThrownBy(() -> new InMemoryAuthThrottle(1, Duration.ZERO, Duration.ofMinutes(1), clock))
            .hasMessageContaining("window");
    }
}
