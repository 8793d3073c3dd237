package org.dispatchmail.core.srs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class SrsSettingsTest {
    private static SrsSettings read(Map<String, String> values) {
        return SrsSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void srsIsOffByDefaultWithTwentyOneDays() {
        SrsSettings settings = read(Map.of());

        assertThat(settings.domain()).isEmpty();
        assertThat(settings.maxAge()).isEqualTo(Duration.ofDays(21));
    }

    @Test
    void theDomainIsKeptInLowerCaseWithoutItsTrailingDot() {
        assertThat(read(Map.of("srs.domain", "Fwd.Example.NET.", "srs.maxAge", "30d")).domain())
            .contains("fwd.example.net");
    }

    @Test
    void aBadDomainOrMaxAgeNamesTheParameter() {
        assertThatThrownBy(() -> read(Map.of("srs.domain", "not a domain")))
            .isInstanceOf(ConfigException.class)
            .hasMessageStartingWith("dispatch.properties: srs.domain 'not a domain': invalid domain name");
        assertThatThrownBy(() -> read(Map.of("srs.maxAge", "2h")))
            .isInstanceOf(ConfigException.class)
            .hasMessage("dispatch.properties: srs.maxAge must be between 1d and 365d (SRS timestamps count whole days)");
        assertThatThrownBy(() -> read(Map.of("srs.maxAge", "400d")))
            .isInstanceOf(ConfigException.class).hasMessageContaining("srs.maxAge");
    }
}
