package org.dispatchmail.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.crypto.CryptoProvider;
import org.junit.jupiter.api.Test;

class DispatchSettingsTest {

    private static DispatchSettings settings(String... keysAndValues) {
        Map<String, String> values = new HashMap<>(Map.of("cassandra.contactPoints", "127.0.0.1:9042"));
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return DispatchSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void mtaStsIsOnByDefaultAndABadValueStopsTheStartNamingItsKey() {
        assertThat(settings().mtaSts().enabled()).isTrue();
        assertThat(settings("delivery.mtaSts", "off").mtaSts().enabled()).isFalse();
        assertThatThrownBy(() -> settings("delivery.mtaSts.recheckInterval", "forever"))
            .isInstanceOf(ConfigException.class).hasMessageContaining("delivery.mtaSts.recheckInterval");
    }

    @Test
    void aTransactionEndsWellWithinItsClaimByDefault() {
        assertThat(settings().delivery().transactionTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings().worker().claimDuration()).isEqualTo(Duration.ofMinutes(15));
        // a short claim shortens the default deadline with it
        assertThat(settings("queue.claimDuration", "1m").delivery().transactionTimeout())
            .isEqualTo(Duration.ofSeconds(30));
        assertThat(settings("queue.claimDuration", "10s", "delivery.transactionTimeout", "5s").delivery()
            .transactionTimeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void aTransactionTimeoutAsLongAsTheClaimStopsTheStartNamingBothKeys() {
        assertThatThrownBy(() -> settings("queue.claimDuration", "10m", "delivery.transactionTimeout", "10m"))
            .isInstanceOf(ConfigException.class)
            .hasMessage("dispatch.properties: delivery.transactionTimeout (10m) must be shorter than"
                + " queue.claimDuration (10m): an attempt must end before its claim can run out");
        assertThatThrownBy(() -> settings("delivery.transactionTimeout", "20m"))
            .hasMessageContaining("delivery.transactionTimeout (20m) must be shorter than queue.claimDuration (PT15M)");
    }

    @Test
    void theNativeCryptoProviderIsTheDefaultAndCanBeTurnedOff() {
        assertThat(settings().cryptoProvider()).isEqualTo(CryptoProvider.NATIVE);
        assertThat(settings("crypto.provider", "jdk").cryptoProvider()).isEqualTo(CryptoProvider.JDK);
        assertThat(settings("crypto.provider", "native").cryptoProvider()).isEqualTo(CryptoProvider.NATIVE);
    }

    @Test
    void anUnknownCryptoProviderStopsTheStartNamingTheKey() {
        assertThatThrownBy(() -> settings("crypto.provider", "openssl"))
            .isInstanceOf(ConfigException.class)
            .hasMessageContaining("crypto.provider")
            .hasMessageContaining("'openssl' is not one of [NATIVE, JDK]");
    }
}
