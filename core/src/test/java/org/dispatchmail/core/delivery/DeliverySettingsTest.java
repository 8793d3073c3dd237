package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Map;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.testing.TestPki;

class DeliverySettingsTest {
    private static final String TLS_HOST = "mx.dest.test";

    private static DeliverySettings read(Map<String, String> values) {
        return DeliverySettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void defaultsWhenNothingIsSet() {
        DeliverySettings settings = read(Map.of());

        assertThat(settings.connectionIdleTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(settings.maxMessagesPerConnection()).isEqualTo(100);
        assertThat(settings.maxConnectionsPerHost()).isEqualTo(10);
        assertThat(settings.connectionWaitTime()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.sourceAddresses()).isEmpty();
        assertThat(settings.trustStore()).isEmpty();
    }

    @Test
    void readsPoolSourceAddressesAndTrustStore() throws Exception {
        TestPki pki = TestPki.forHost(TLS_HOST);
        DeliverySettings settings = read(Map.of(
                "delivery.connectionIdleTime", "10s",
                "delivery.maxMessagesPerConnection", "20",
                "delivery.maxConnectionsPerHost", "3",
                "delivery.connectionWaitTime", "2m",
                "delivery.sourceAddress", "192.0.2.10, 2001:db8::10",
                "delivery.tls.truststore", pki.trustStorePath().toString(),
                "delivery.tls.truststorePassword", pki.password()));

        assertThat(settings.connectionIdleTime()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.maxMessagesPerConnection()).isEqualTo(20);
        assertThat(settings.maxConnectionsPerHost()).isEqualTo(3);
        assertThat(settings.connectionWaitTime()).isEqualTo(Duration.ofMinutes(2));
        assertThat(settings.sourceAddressFor(InetAddress.getByName("198.51.100.1")))
                .contains(InetAddress.getByName("192.0.2.10"));
        assertThat(settings.sourceAddressFor(InetAddress.getByName("2001:db8::25")))
                .contains(InetAddress.getByName("2001:db8::10"));
        assertThat(settings.trustStore().orElseThrow().containsAlias("ca")).isTrue();
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> read(Map.of("delivery.sourceAddress", "mail.example.com")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.sourceAddress");
        assertThatThrownBy(() -> read(Map.of("delivery.sourceAddress", "192.0.2.1,192.0.2.2")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.sourceAddress");
        assertThatThrownBy(() -> read(Map.of("delivery.connectionIdleTime", "0s")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.connectionIdleTime");
        assertThatThrownBy(() -> read(Map.of("delivery.maxConnectionsPerHost", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.maxConnectionsPerHost");
        assertThatThrownBy(() -> read(Map.of("delivery.tls.truststore", "/nonexistent/trust.p12")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.tls.truststore");
        assertThatThrownBy(() -> read(Map.of("delivery.heloName", "bad name")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.heloName");
    }

    @Test
    void aWrongTrustStorePasswordFailsStartUp() throws Exception {
        TestPki pki = TestPki.forHost(TLS_HOST);
        assertThatThrownBy(() -> read(Map.of("delivery.tls.truststore", pki.trustStorePath().toString(),
                "delivery.tls.truststorePassword", "wrong")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.tls.truststore");
    }
}
