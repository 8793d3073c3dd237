package org.dispatchmail.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class RetrySettingsTest {
    private static RetrySettings settings(Map<String, String> values) {
        return RetrySettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void defaults() {
        RetrySettings s = settings(Map.of());

        assertThat(s.schedule()).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4));
        assertThat(s.maxLifetime()).isEqualTo(Duration.ofDays(5));
        assertThat(s.jitter()).isEqualTo(0.10);
        assertThat(s.greylistMaxProbes()).isEqualTo(13);
        assertThat(s.greylistJitter()).isEqualTo(0.10);
        assertThat(s.greylistMaxJitter()).isEqualTo(Duration.ofSeconds(15));
        assertThat(s.hintMargin()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.delayWarnings()).containsExactly(Duration.ofHours(4));
        assertThat(s.learnedWindowTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(s.greylistSingleProber()).isTrue();
        assertThat(s.lastProbeOffset()).isEqualTo(Duration.ofSeconds(1805));
    }

    @Test
    void defaultProbesComeEveryMinuteForTenMinutesThenAtFifteenAndThirty() {
        RetrySettings s = settings(Map.of());
        long[] offsets = new long[s.greylistMaxProbes()];
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] = s.probeOffset(k).getSeconds();
        }

        assertThat(offsets).containsExactly(35, 65, 125, 185, 245, 305, 365, 425, 485, 545, 605, 905, 1805);
    }

    @Test
    void theLastScheduleDelayAndTheLastProbeGapRepeat() {
        RetrySettings s = settings(Map.of("retry.schedule", "2m,10m", "retry.greylist.probes", "30s,60s",
            "retry.greylist.maxProbes", "4"));

        assertThat(s.delayAfter(1)).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.delayAfter(2)).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.delayAfter(9)).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.probeOffset(0)).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.probeOffset(3)).isEqualTo(Duration.ofSeconds(210));
    }

    @Test
    void readsEveryKey() {
        RetrySettings s = settings(Map.of("retry.maxLifetime", "3d", "retry.jitter", "0%",
            "retry.greylist.jitter", "25", "retry.greylist.maxJitter", "1m", "retry.greylist.hintMargin", "30s",
            "retry.delayWarnings", "1h, 1d", "retry.learnedWindowTtl", "1d", "retry.greylist.maxProbes", "0",
            "retry.greylist.singleProber", "false"));

        assertThat(s.maxLifetime()).isEqualTo(Duration.ofDays(3));
        assertThat(s.jitter()).isZero();
        assertThat(s.greylistJitter()).isEqualTo(0.25);
        assertThat(s.greylistMaxJitter()).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.hintMargin()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.delayWarnings()).containsExactly(Duration.ofHours(1), Duration.ofDays(1));
        assertThat(s.learnedWindowTtl()).isEqualTo(Duration.ofDays(1));
        assertThat(s.greylistMaxProbes()).isZero();
        assertThat(s.greylistSingleProber()).isFalse();
        assertThat(s.lastProbeOffset()).isZero();
    }

    @Test
    void neverSendsNoDelayWarnings() {
        assertThat(settings(Map.of("retry.delayWarnings", "never")).delayWarnings()).isEmpty();
    }

    @Test
    void badValuesNameTheParameter() {
        List<Map<String, String>> bad = List.of(
            Map.of("retry.schedule", "1m,0,5m"),
            Map.of("retry.schedule", "soon"),
            Map.of("retry.maxLifetime", "five days"),
            Map.of("retry.jitter", "60%"),
            Map.of("retry.jitter", "-5%"),
            Map.of("retry.greylist.jitter", "lots"),
            Map.of("retry.greylist.probes", "30s,500ms"),
            Map.of("retry.greylist.maxProbes", "51"),
            Map.of("retry.greylist.hintMargin", "1h"),
            Map.of("retry.delayWarnings", "4h,1h"),
            Map.of("retry.delayWarnings", "0,1h"),
            Map.of("retry.learnedWindowTtl", "0"),
            Map.of("retry.greylist.singleProber", "sometimes"));
        for (Map<String, String> values : bad) {
            String key = values.keySet().iterator().next();
            assertThatThrownBy(() -> settings(values)).as(values.toString())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("dispatch.properties: " + key + " ");
        }
    }
}
