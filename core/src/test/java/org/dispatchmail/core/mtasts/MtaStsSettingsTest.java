package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class MtaStsSettingsTest {
    private static MtaStsSettings settings(Map<String, String> values) {
        return MtaStsSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void defaults() {
        MtaStsSettings settings = settings(Map.of());
        assertThat(settings.enabled()).isTrue();
        assertThat(settings.fetchTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(settings.recheckInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void valuesAreRead() {
        MtaStsSettings settings = settings(Map.of("delivery.mtaSts", "OFF", "delivery.mtaSts.fetchTimeout", "20s",
            "delivery.mtaSts.recheckInterval", "5m"));
        assertThat(settings.enabled()).isFalse();
        assertThat(settings.fetchTimeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.recheckInterval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings(Map.of("delivery.mtaSts", "on")).enabled()).isTrue();
    }

    @Test
    void badValuesNameTheirParameter() {
        for (Map<String, String> bad : new Map[] {
            Map.of("delivery.mtaSts", "true"),
            Map.of("delivery.mtaSts.fetchTimeout", "500ms"),
            Map.of("delivery.mtaSts.fetchTimeout", "10m"),
            Map.of("delivery.mtaSts.fetchTimeout", "soon"),
            Map.of("delivery.mtaSts.recheckInterval", "0s"),
            Map.of("delivery.mtaSts.recheckInterval", "2h")}) {
            String key = bad.keySet().iterator().next();
            assertThatThrownBy(() -> settings(bad)).as(bad.toString()).isInstanceOf(ConfigException.class)
                .hasMessageContaining("dispatch.properties: " + key + " ");
        }
    }
}
