package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.dispatchmail.core.srs.SrsKeys;
import org.dispatchmail.core.srs.SrsSettings;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

class SrsRoutesTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    private final SrsKeys keys = new SrsKeys(new InMemoryClusterSecrets(clock, new SecureRandom()),
        SrsSettings.of("fwd.example.net", Duration.ofDays(21)), clock);
    private final RouteServer server = new RouteServer(new SrsRoutes(keys));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aRotationAddsTheVersionThatSignsAndKeepsTheOldOneForChecksButNoKeyIsShown() throws Exception {
        RouteServer.Answer rotated = server.call("POST", "/dispatch/srs/rotate", null);

        assertThat(rotated.status).isEqualTo(201);
        JsonNode versions = rotated.json();
        assertThat(versions).hasSize(2);
        assertThat(versions.get(0).get("use").asText()).isEqualTo("signs and checks");
        assertThat(versions.get(1).get("use").asText()).isEqualTo("checks");
        versions.forEach(version -> assertThat(version.fieldNames()).toIterable()
            .containsExactlyInAnyOrder("version", "createdAt", "use"));
        assertThat(server.call("GET", "/dispatch/srs/keys", null).json()).hasSize(2);
    }

    @Test
    void retiringAVersionThatMaySignLiveAddressesIsRefusedUnlessForced() throws Exception {
        server.call("POST", "/dispatch/srs/rotate", null);

        RouteServer.Answer refused = server.call("POST", "/dispatch/srs/retire", null);
        assertThat(refused.status).isEqualTo(409);
        assertThat(refused.json().get("message").asText()).contains("srs.maxAge 21d");
        assertThat(keys.versions()).hasSize(2);

        RouteServer.Answer forced = server.call("POST", "/dispatch/srs/retire?force=true", null);
        assertThat(forced.status).isEqualTo(200);
        assertThat(forced.json()).hasSize(1);
    }

    @Test
    void keepMustBeAWholeNumber() throws Exception {
        RouteServer.Answer answer = server.call("POST", "/dispatch/srs/retire?keep=two", null);

        assertThat(answer.status).isEqualTo(400);
        assertThat(answer.json().get("message").asText()).isEqualTo("keep must be a whole number, not 'two'");
    }
}
