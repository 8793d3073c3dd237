package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class DnsCacheSettingsTest {

    @Test
    void defaultsKeepFourThousandAnswersForAtMostAnHour() {
        DnsCacheSettings settings = DnsCacheSettings.from(new ConfigReader("dispatch.properties", Map.of()));

        assertThat(settings.size()).isEqualTo(4096);
        assertThat(settings.maxTtl()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void readsBothKeys() {
        DnsCacheSettings settings = DnsCacheSettings.from(new ConfigReader("dispatch.properties",
                Map.of("dns.cacheSize", "100", "dns.maxCacheTtl", "5m")));

        assertThat(settings.size()).isEqualTo(100);
        assertThat(settings.maxTtl()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void badValuesFailNamingTheirKey() {
        assertThatThrownBy(() -> DnsCacheSettings.from(new ConfigReader("dispatch.properties",
                Map.of("dns.cacheSize", "-1")))).hasMessageContaining("dns.cacheSize");
        assertThatThrownBy(() -> DnsCacheSettings.from(new ConfigReader("dispatch.properties",
                Map.of("dns.cacheSize", "many")))).hasMessageContaining("dns.cacheSize");
        assertThatThrownBy(() -> DnsCacheSettings.from(new ConfigReader("dispatch.properties",
                Map.of("dns.maxCacheTtl", "soon")))).hasMessageContaining("dns.maxCacheTtl");
    }
}
