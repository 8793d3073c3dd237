package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;

import org.junit.jupiter.api.Test;

class InMemoryAuthThrottleTest extends AuthThrottleContract {
    private InMemoryAuthThrottle shared;

    @Override
    protected AuthThrottle node(ThrottleSettings settings, Clock clock) {
        if (shared == null) {
            shared = new InMemoryAuthThrottle(settings, clock);
        }
        return shared;
    }

    @Test
    void settingsAreChecked() {
        assertThatThrownBy(() -> new ThrottleSettings(0, 1, Duration.ofMinutes(1)))
            .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new ThrottleSettings(1, 0, Duration.ofMinutes(1)))
            .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new ThrottleSettings(1, 1, Duration.ZERO)).hasMessageContaining("1 second");
    }
}
