package org.dispatchmail.core.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.mtasts.InMemoryMtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.dispatchmail.core.mtasts.MtaStsStore;
import org.dispatchmail.core.mtasts.MxPattern;
import org.dispatchmail.core.mtasts.RefreshFailure;
import org.dispatchmail.core.mtasts.StoredPolicy;
import org.dispatchmail.core.routing.MtaStsOverride;
import org.dispatchmail.core.routing.Route;
import org.dispatchmail.core.routing.TlsPolicy;
import org.dispatchmail.core.routing.TransportRules;
import org.junit.jupiter.api.Test;

class TlsStatusTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final Route MX = Route.mx(Optional.empty(), TlsPolicy.OPPORTUNISTIC);

    private static StoredPolicy stored(Mode mode, Duration maxAge) {
        return new StoredPolicy("20261201", new MtaStsPolicy(mode, mode == Mode.NONE ? List.of()
            : List.of(MxPattern.parse("*.mx.example.org").orElseThrow()), maxAge), T0);
    }

    private static Optional<MtaStsStore.Entry> entry(StoredPolicy policy) {
        return Optional.of(new MtaStsStore.Entry(Optional.of(policy), Optional.empty()));
    }

    @Test
    void anUnexpiredEnforcePolicyIsEnforced() {
        TlsStatus status = TlsStatus.of("example.org", entry(stored(Mode.ENFORCE, Duration.ofDays(7))), true, MX,
            T0.plusSeconds(60));

        assertThat(status.applied()).isEqualTo(TlsStatus.Applied.ENFORCE);
        assertThat(status.reason()).contains("enforce", "*.mx.example.org", "4.7.5");
        assertThat(status.expired()).isFalse();
        assertThat(status.text()).contains("mta-sts applies: enforce", "id:            20261201",
            "expires at:    2026-12-14T10:00:00Z", "stored policy; a delivery refreshes it",
            "last failed refresh: none");
    }

    @Test
    void aTestingPolicyAndAnEnforcePolicyUnderMtaStsTestingAreTesting() {
        assertThat(TlsStatus.of("example.org", entry(stored(Mode.TESTING, Duration.ofDays(7))), true, MX, T0)
            .applied()).isEqualTo(TlsStatus.Applied.TESTING);
        TlsStatus overridden = TlsStatus.of("example.org", entry(stored(Mode.ENFORCE, Duration.ofDays(7))), true,
            Route.mx(Optional.of("trial"), TlsPolicy.OPPORTUNISTIC, MtaStsOverride.TESTING), T0);
        assertThat(overridden.applied()).isEqualTo(TlsStatus.Applied.TESTING);
        assertThat(overridden.reason()).contains("mtaSts=testing");
    }

    @Test
    void nothingAppliesWithoutAPolicyOnceExpiredUnderModeNoneOrWhenOverridden() {
        assertThat(TlsStatus.of("example.org", Optional.empty(), true, MX, T0).reason())
            .isEqualTo("no MTA-STS policy");
        TlsStatus expired = TlsStatus.of("example.org", entry(stored(Mode.ENFORCE, Duration.ofHours(1))), true, MX,
            T0.plus(Duration.ofHours(1)));
        assertThat(expired.applied()).isEqualTo(TlsStatus.Applied.NONE);
        assertThat(expired.expired()).isTrue();
        assertThat(expired.reason()).contains("expired at 2026-12-07T11:00:00Z");
        assertThat(expired.text()).contains("(expired)");
        assertThat(TlsStatus.of("example.org", entry(stored(Mode.NONE, Duration.ofDays(1))), true, MX, T0).reason())
            .contains("mode none");
        TlsStatus off = TlsStatus.of("example.org", entry(stored(Mode.ENFORCE, Duration.ofDays(7))), true,
            Route.mx(Optional.of("broken"), TlsPolicy.OPPORTUNISTIC, MtaStsOverride.OFF), T0);
        assertThat(off.applied()).isEqualTo(TlsStatus.Applied.NONE);
        assertThat(off.reason()).contains("mtaSts=off");
    }

    @Test
    void nothingAppliesWithMtaStsOffOrOnASmartHostRoute() {
        Optional<MtaStsStore.Entry> enforce = entry(stored(Mode.ENFORCE, Duration.ofDays(7)));
        TlsStatus off = TlsStatus.of("example.org", enforce, false, MX, T0);
        assertThat(off.applied()).isEqualTo(TlsStatus.Applied.NONE);
        assertThat(off.reason()).contains("delivery.mtaSts=off");
        assertThat(off.text()).contains("delivery.mtaSts: off");
        TlsStatus relayed = TlsStatus.of("example.org", enforce, true,
            Route.smartHost("relay", "relay.example.net", 25, TlsPolicy.REQUIRED, Optional.empty()), T0);
        assertThat(relayed.applied()).isEqualTo(TlsStatus.Applied.NONE);
        assertThat(relayed.reason()).contains("smart host");
    }

    @Test
    void theLastFailedRefreshIsShownBesideTheStoredPolicy() {
        TlsStatus status = TlsStatus.of("example.org", Optional.of(new MtaStsStore.Entry(
            Optional.of(stored(Mode.ENFORCE, Duration.ofDays(7))),
            Optional.of(new RefreshFailure("20261207", T0.plusSeconds(30), "TIMEOUT: no reply")))), true, MX,
            T0.plusSeconds(60));

        assertThat(status.applied()).as("the stored policy stays in force").isEqualTo(TlsStatus.Applied.ENFORCE);
        assertThat(status.lastFailure()).isPresent();
        assertThat(status.text()).contains("last failed refresh:", "20261207", "2026-12-07T10:00:30Z",
            "TIMEOUT: no reply");
    }

    @Test
    void theAdminNormalisesTheDomainAsDeliveryDoesAndRefusesAnInvalidOne() {
        Clock clock = Clock.fixed(T0, ZoneOffset.UTC);
        InMemoryMtaStsStore store = new InMemoryMtaStsStore(clock);
        store.save("xn--bcher-kva.example", stored(Mode.ENFORCE, Duration.ofDays(7)), Duration.ofDays(8));
        Map<String, String> config = new HashMap<>(Map.of("transport.rules", "broken",
            "transport.broken.domains", "xn--bcher-kva.example", "transport.broken.mtaSts", "off"));
        TlsAdmin admin = new TlsAdmin(store, true,
            TransportRules.from(new ConfigReader("dispatch.properties", config)), clock);

        TlsStatus status = admin.show("Bücher.Example.");

        assertThat(status.domain()).isEqualTo("xn--bcher-kva.example");
        assertThat(status.storedPolicy()).isPresent();
        assertThat(status.route().rule()).contains("broken");
        assertThat(status.applied()).isEqualTo(TlsStatus.Applied.NONE);
        assertThatThrownBy(() -> admin.show("bad domain!")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid domain name");
    }
}
