package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class DestinationTest {

    private static final TransportRules RULES = rules(
        "transport.rules", "corp,partners",
        "transport.corp.route", "smarthost",
        "transport.corp.host", "relay.corp.test:587",
        "transport.corp.domains", "corp.test,*.corp.test",
        "transport.partners.tls", "required",
        "transport.partners.domains", "partner.test,other-partner.test");

    private static TransportRules rules(String... keysAndValues) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            values.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return TransportRules.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void everyDomainOfASmartHostIsOneDestination() {
        Destination corp = RULES.destinationFor("corp.test");
        Destination sub = RULES.destinationFor("Mail.Corp.test");

        assertThat(corp).isEqualTo(sub).hasSameHashCodeAs(sub);
        assertThat(corp.isSmartHost()).isTrue();
        assertThat(corp.routeName()).isEqualTo("smarthost:corp");
        assertThat(corp.route().map(Route::port)).contains(587);
        assertThat(corp).hasToString("transport corp: smarthost relay.corp.test:587 (tls required)");
    }

    @Test
    void eachDomainByMxIsItsOwnDestinationWhateverRuleSendsIt() {
        Destination partner = RULES.destinationFor("partner.test");

        assertThat(partner).isNotEqualTo(RULES.destinationFor("other-partner.test"));
        assertThat(partner).isEqualTo(RULES.destinationFor("PARTNER.test."));
        assertThat(partner.routeName()).isEqualTo("mx:partners");
        assertThat(RULES.destinationFor("example.com").routeName()).isEqualTo("mx");
        assertThat(RULES.destinationFor("example.com"))
            .hasToString("example.com via mx (tls opportunistic)");
    }

    @Test
    void aNameThatIsNotADomainHasNoRouteAndSaysWhy() {
        Destination bad = RULES.destinationFor("bad domain.test");

        assertThat(bad.route()).isEmpty();
        assertThat(bad.problem()).hasValueSatisfying(p -> assertThat(p).contains("bad domain.test"));
        assertThat(bad.routeName()).as("as the attempt log named it before").isEqualTo("mx");
        assertThat(bad.isSmartHost()).isFalse();
        assertThat(bad).isEqualTo(RULES.destinationFor("bad domain.test")).isNotEqualTo(RULES.destinationFor("x.test"));
    }
}
