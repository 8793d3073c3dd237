package org.dispatchmail.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigReaderTest {
    private static ConfigReader reader(Map<String, String> values) {
        return new ConfigReader("dispatch.properties", values);
    }

    @Test
    void durationsTakeAUnitAndDefaultToSeconds() {
        ConfigReader config = reader(Map.of("a", "500ms", "b", "30", "c", "5m", "d", "4h", "e", "5d", "blank", " "));
        assertThat(config.duration("a", Duration.ZERO)).isEqualTo(Duration.ofMillis(500));
        assertThat(config.duration("b", Duration.ZERO)).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.duration("c", Duration.ZERO)).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.duration("d", Duration.ZERO)).isEqualTo(Duration.ofHours(4));
        assertThat(config.duration("e", Duration.ZERO)).isEqualTo(Duration.ofDays(5));
        assertThat(config.duration("blank", Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.duration("absent", Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void everyBadValueIsReportedWithFileAndParameter() {
        ConfigReader config = reader(Map.of("d", "soon", "n", "12x", "r", "0", "b", "maybe", "l", "1m,,later"));
        assertThatThrownBy(() -> config.duration("d", Duration.ZERO))
            .hasMessage("dispatch.properties: d 'soon' is not a duration such as 500ms, 30s, 5m, 4h or 5d");
        assertThatThrownBy(() -> config.integer("n", 1, 1, 10))
            .hasMessage("dispatch.properties: n '12x' is not a whole number");
        assertThatThrownBy(() -> config.integer("r", 1, 1, 10))
            .hasMessage("dispatch.properties: r 0 is out of range [1, 10]");
        assertThatThrownBy(() -> config.bool("b", false))
            .hasMessage("dispatch.properties: b 'maybe' is not true or false");
        assertThatThrownBy(() -> config.durations("l", List.of()))
            .hasMessageContaining("dispatch.properties: l 'later'");
        assertThatThrownBy(() -> config.required("missing", "the cluster to use"))
            .hasMessage("dispatch.properties: missing is required: the cluster to use");
    }

    @Test
    void listsDropBlankItems() {
        assertThat(reader(Map.of("l", " a, b ,,c ")).list("l")).containsExactly("a", "b", "c");
        assertThat(reader(Map.of()).list("l")).isEmpty();
    }
}
