package org.dispatchmail.core.srs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.junit.jupiter.api.Test;

class SrsKeysTest {
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final InMemoryClusterSecrets secrets = new InMemoryClusterSecrets(clock, new SecureRandom());
    private final SrsKeys keys = new SrsKeys(secrets, SrsSettings.of("fwd.example.net", Duration.ofDays(21)), clock);

    @Test
    void aRotationAddsANewestVersionAndKeepsTheOldOne() {
        assertThat(keys.versions()).extracting(secret -> secret.version()).containsExactly(1);

        keys.rotate();

        assertThat(keys.versions()).extracting(secret -> secret.version()).containsExactly(2, 1);
    }

    @Test
    void retiringBeforeMaxAgeHasPassedSinceTheRotationIsRefusedUnlessForced() {
        keys.versions();
        keys.rotate();
        clock.advance(Duration.ofDays(20));

        SrsKeys.Retirement early = keys.retire(1, false);
        assertThat(early.refused()).isTrue();
        assertThat(early.refusal()).contains("version 2").contains("2026-12-28T10:00:00Z").contains("srs.maxAge 21d");
        assertThat(keys.versions()).hasSize(2);

        SrsKeys.Retirement forced = keys.retire(1, true);
        assertThat(forced.refused()).isFalse();
        assertThat(forced.removed()).isEqualTo(1);
        assertThat(keys.versions()).extracting(secret -> secret.version()).containsExactly(2);
    }

    @Test
    void retiringAfterMaxAgeRemovesTheOlderVersions() {
        keys.versions();
        keys.rotate();
        clock.advance(Duration.ofDays(21));

        assertThat(keys.retire(1, false).removed()).isEqualTo(1);
        assertThat(keys.retire(1, false).removed()).as("nothing left to retire").isZero();
        assertThatThrownBy(() -> keys.retire(0, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
