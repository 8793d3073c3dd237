package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class ArcSettingsTest {

    private static ArcSettings of(Map<String, String> values) {
        return ArcSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void offByDefaultAndWhenEmpty() {
        assertThat(of(Map.of()).domain()).isEmpty();
        assertThat(of(Map.of("arc.domain", " ")).domain()).isEmpty();
    }

    @Test
    void theDomainIsNormalized() {
        assertThat(of(Map.of("arc.domain", "Forward.Example.")).domain()).contains("forward.example");
    }

    @Test
    void aBadDomainStopsStartUpNamingTheKey() {
        assertThatThrownBy(() -> of(Map.of("arc.domain", "not a domain")))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("dispatch.properties: arc.domain");
    }
}
