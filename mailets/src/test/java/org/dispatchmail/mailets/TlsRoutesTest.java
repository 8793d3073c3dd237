package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.dispatchmail.core.admin.TlsAdmin;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.mtasts.InMemoryMtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MxPattern;
import org.dispatchmail.core.mtasts.RefreshFailure;
import org.dispatchmail.core.mtasts.StoredPolicy;
import org.dispatchmail.core.routing.TransportRules;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

class TlsRoutesTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private final Clock clock = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);
    private final InMemoryMtaStsStore store = new InMemoryMtaStsStore(clock);
    private final TransportRules rules = TransportRules.from(new ConfigReader("dispatch.properties", Map.of(
        "transport.rules", "broken,relay",
        "transport.broken.domains", "broken.example",
        "transport.broken.mtaSts", "off",
        "transport.relay.domains", "relayed.example",
        "transport.relay.route", "smarthost",
        "transport.relay.host", "relay.example.net")));

    private RouteServer server(boolean mtaStsEnabled) {
        return new RouteServer(new TlsRoutes(new TlsAdmin(store, mtaStsEnabled, rules, clock)));
    }

    private void storeEnforce(String domain) {
        store.save(domain, new StoredPolicy("20261201", new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE,
            List.of(MxPattern.parse("*.mx.example.org").orElseThrow()), Duration.ofDays(7)), T0), Duration.ofDays(8));
    }

    @Test
    void aStoredEnforcePolicyIsShownAndApplies() throws Exception {
        storeEnforce("example.org");
        try (RouteServer server = server(true)) {
            RouteServer.Answer answer = server.call("GET", "/dispatch/tls/Example.ORG.", null);

            assertThat(answer.status).isEqualTo(200);
            assertThat(answer.type).startsWith("application/json");
            JsonNode json = answer.json();
            assertThat(json.get("domain").asText()).isEqualTo("example.org");
            assertThat(json.get("source").asText()).isEqualTo("stored policy; a delivery refreshes it");
            assertThat(json.get("mtaStsEnabled").asBoolean()).isTrue();
            assertThat(json.get("route").get("kind").asText()).isEqualTo("mx");
            assertThat(json.get("route").get("rule").isNull()).isTrue();
            assertThat(json.get("route").get("mtaSts").asText()).isEqualTo("as-published");
            JsonNode policy = json.get("storedPolicy");
            assertThat(policy.get("id").asText()).isEqualTo("20261201");
            assertThat(policy.get("mode").asText()).isEqualTo("enforce");
            assertThat(policy.get("mx").get(0).asText()).isEqualTo("*.mx.example.org");
            assertThat(policy.get("maxAgeSeconds").asLong()).isEqualTo(604800);
            assertThat(policy.get("fetchedAt").asText()).isEqualTo("2026-12-07T10:00:00Z");
            assertThat(policy.get("expiresAt").asText()).isEqualTo("2026-12-14T10:00:00Z");
            assertThat(policy.get("expired").asBoolean()).isFalse();
            assertThat(json.get("lastFailure").isNull()).isTrue();
            assertThat(json.get("applies").asText()).isEqualTo("enforce");

            RouteServer.Answer text = server.call("GET", "/dispatch/tls/example.org?format=text", null);
            assertThat(text.type).startsWith("text/plain");
            assertThat(text.body).contains("domain:          example.org", "mta-sts applies: enforce",
                "mx:            *.mx.example.org");
        }
    }

    @Test
    void noneStoredAppliesNone() throws Exception {
        try (RouteServer server = server(true)) {
            JsonNode json = server.call("GET", "/dispatch/tls/nothing.example", null).json();

            assertThat(json.get("storedPolicy").isNull()).isTrue();
            assertThat(json.get("lastFailure").isNull()).isTrue();
            assertThat(json.get("applies").asText()).isEqualTo("none");
            assertThat(json.get("reason").asText()).isEqualTo("no MTA-STS policy");
        }
    }

    @Test
    void aFailedRefreshIsShownBesideThePolicyStillInForce() throws Exception {
        storeEnforce("example.org");
        store.recordFailure("example.org", new RefreshFailure("20261207", T0.plusSeconds(30),
            "TIMEOUT: no reply from mta-sts.example.org"), Duration.ofDays(1));
        try (RouteServer server = server(true)) {
            JsonNode json = server.call("GET", "/dispatch/tls/example.org", null).json();

            assertThat(json.get("applies").asText()).isEqualTo("enforce");
            JsonNode failure = json.get("lastFailure");
            assertThat(failure.get("id").asText()).isEqualTo("20261207");
            assertThat(failure.get("at").asText()).isEqualTo("2026-12-07T10:00:30Z");
            assertThat(failure.get("error").asText()).contains("TIMEOUT");
        }
    }

    @Test
    void aTransportRuleOverrideASmartHostAndMtaStsOffAreShown() throws Exception {
        storeEnforce("broken.example");
        storeEnforce("relayed.example");
        try (RouteServer server = server(true)) {
            JsonNode broken = server.call("GET", "/dispatch/tls/broken.example", null).json();
            assertThat(broken.get("route").get("rule").asText()).isEqualTo("broken");
            assertThat(broken.get("route").get("mtaSts").asText()).isEqualTo("off");
            assertThat(broken.get("storedPolicy").get("mode").asText()).isEqualTo("enforce");
            assertThat(broken.get("applies").asText()).isEqualTo("none");
            assertThat(broken.get("reason").asText()).contains("mtaSts=off");

            JsonNode relayed = server.call("GET", "/dispatch/tls/relayed.example", null).json();
            assertThat(relayed.get("route").get("kind").asText()).isEqualTo("smarthost");
            assertThat(relayed.get("applies").asText()).isEqualTo("none");
            assertThat(relayed.get("reason").asText()).contains("smart host");
        }
        storeEnforce("example.org");
        try (RouteServer server = server(false)) {
            JsonNode off = server.call("GET", "/dispatch/tls/example.org", null).json();
            assertThat(off.get("mtaStsEnabled").asBoolean()).isFalse();
            assertThat(off.get("applies").asText()).isEqualTo("none");
            assertThat(off.get("reason").asText()).contains("delivery.mtaSts=off");
        }
    }

    @Test
    void anInvalidDomainNameAnswers400WithTheReason() throws Exception {
        try (RouteServer server = server(true)) {
            RouteServer.Answer answer = server.call("GET", "/dispatch/tls/bad_%21name..example", null);

            assertThat(answer.status).isEqualTo(400);
            assertThat(answer.json().get("message").asText()).contains("invalid domain name");
        }
    }
}
