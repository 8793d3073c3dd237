package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.dkim.DkimKeys;
import org.dispatchmail.core.dkim.DkimSettings;
import org.dispatchmail.core.dkim.MasterKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

class DkimRoutesTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    private final Map<String, List<String>> dns = new HashMap<>();

    @TempDir
    Path dir;

    private DkimKeys keys() throws Exception {
        Path masterKey = dir.resolve("master.key");
        MasterKey.createFile(masterKey);
        return new DkimKeys(new MemoryDomainKeyStore(), MasterKey.fromFile(masterKey),
            name -> dns.getOrDefault(name, List.of()), DkimSettings.from(new ConfigReader("dispatch.properties",
                Map.of())), clock);
    }

    @Test
    void keysAreMadePendingShownWithTheirDnsRecordAndActivatedOnceDnsHasIt() throws Exception {
        DkimKeys keys = keys();
        try (RouteServer server = new RouteServer(new DkimRoutes(() -> keys))) {
            RouteServer.Answer made = server.call("POST", "/dispatch/dkim/keys/example.com?algorithm=ed25519-sha256", null);

            assertThat(made.status).isEqualTo(201);
            JsonNode key = made.json().get(0);
            assertThat(key.get("domain").asText()).isEqualTo("example.com");
            assertThat(key.get("algorithm").asText()).isEqualTo("ed25519-sha256");
            assertThat(key.get("state").asText()).isEqualTo("pending");
            assertThat(key.get("dnsValue").asText()).startsWith("v=DKIM1;");
            assertThat(made.body).doesNotContainIgnoringCase("private");
            String selector = key.get("selector").asText();

            assertThat(server.call("POST", "/dispatch/dkim/check", null).json()).as("not in DNS yet").isEmpty();
            dns.put(key.get("dnsName").asText(), List.of(key.get("dnsValue").asText()));
            assertThat(server.call("POST", "/dispatch/dkim/check", null).json()).hasSize(1);
            assertThat(server.call("GET", "/dispatch/dkim/keys/example.com/" + selector, null).json().get(0)
                .get("state").asText()).isEqualTo("active");
            assertThat(server.call("GET", "/dispatch/dkim/keys/example.com/nosuch", null).status).isEqualTo(404);
        }
    }

    @Test
    void withoutAMasterKeyTheRoutesAnswer503NamingTheParameter() throws Exception {
        DkimRoutes unconfigured = new DkimRoutes(() -> {
            throw new ConfigException("dispatch.properties: dkim.masterKeyFile is required for DKIM keys");
        });
        try (RouteServer server = new RouteServer(unconfigured)) {
            RouteServer.Answer answer = server.call("GET", "/dispatch/dkim/keys", null);

            assertThat(answer.status).isEqualTo(503);
            assertThat(answer.json().get("message").asText()).contains("dkim.masterKeyFile");
        }
    }
}
