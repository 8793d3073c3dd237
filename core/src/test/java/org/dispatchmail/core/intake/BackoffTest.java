package org.dispatchmail.core.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.api.Test;

class BackoffTest {
    @Test
    void doublesAfterEachFailureUpToTheMaximumAndStartsOverAfterASuccess() {
        Backoff backoff = new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(45));

        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(10));
        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(20));
        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(40));
        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(45));
        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(45));
        assertThat(backoff.succeeded()).isEqualTo(Duration.ofSeconds(10));
        assertThat(backoff.failed()).isEqualTo(Duration.ofSeconds(10));
    }
}
