package org.dispatchmail.core.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.junit.jupiter.api.Test;

class IntakeSettingsTest {
    private static ConfigReader config(Map<String, String> values) {
        return new ConfigReader("dispatch.properties", values);
    }

    @Test
    void defaults() {
        IntakeSettings settings = IntakeSettings.from(config(Map.of()));

        assertThat(settings.takeoverInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.reprocessErrors()).isTrue();
        assertThat(settings.reprocessBackoff().failed()).isEqualTo(Duration.ofSeconds(10));
        assertThat(SubmissionSettings.from(config(Map.of())).limitsWhenCassandraDown())
            .isEqualTo(SubmissionSettings.CassandraDownPolicy.REFUSE);
    }

    @Test
    void badValuesNameTheirParameter() {
        assertThatThrownBy(() -> IntakeSettings.from(config(Map.of("intake.takeoverInterval", "10ms"))))
            .isInstanceOf(ConfigException.class).hasMessageContaining("intake.takeoverInterval");
        assertThatThrownBy(() -> IntakeSettings.from(config(Map.of("intake.reprocessFirstDelay", "1m",
            "intake.reprocessMaxDelay", "30s"))))
            .isInstanceOf(ConfigException.class).hasMessageContaining("intake.reprocessMaxDelay");
        assertThatThrownBy(() -> SubmissionSettings.from(config(Map.of("submission.limitsWhenCassandraDown", "maybe"))))
            .isInstanceOf(ConfigException.class).hasMessageContaining("submission.limitsWhenCassandraDown");
        assertThat(SubmissionSettings.from(config(Map.of("submission.limitsWhenCassandraDown", "allow")))
            .limitsWhenCassandraDown()).isEqualTo(SubmissionSettings.CassandraDownPolicy.ALLOW);
    }
}
