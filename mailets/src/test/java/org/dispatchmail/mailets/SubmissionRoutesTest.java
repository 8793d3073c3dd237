package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.dispatchmail.core.submission.InMemorySubmissionUserStore;
import org.dispatchmail.core.submission.PasswordHashing;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

class SubmissionRoutesTest {
    private static final String PASSWORD = "correct horse battery staple";

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    private final SubmissionUsers users = new SubmissionUsers(new InMemorySubmissionUserStore(),
        new PasswordHashing(1000, 4096), clock, new InMemoryClusterSecrets(clock, new SecureRandom()));
    private final RouteServer server = new RouteServer(new SubmissionRoutes(users));

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aLoginIsAddedWithItsSendersAndThePasswordNeverComesBack() throws Exception {
        RouteServer.Answer added = server.call("POST", "/dispatch/submission/users/alice@example.com",
            "{\"password\": \"" + PASSWORD + "\", \"allowedSenders\": [\"@shop.example.com\"]}");

        assertThat(added.status).isEqualTo(201);
        assertThat(added.type).startsWith("application/json");
        JsonNode login = added.json().get(0);
        assertThat(login.get("login").asText()).isEqualTo("alice@example.com");
        assertThat(login.get("allowedSenders").get(0).asText()).isEqualTo("@shop.example.com");
        assertThat(added.body).doesNotContain(PASSWORD).doesNotContainIgnoringCase("hash");
        assertThat(users.checkPassword("alice@example.com", PASSWORD)).isTrue();

        RouteServer.Answer listed = server.call("GET", "/dispatch/submission/users", null);
        assertThat(listed.status).isEqualTo(200);
        assertThat(listed.json()).hasSize(1);
        assertThat(listed.body).doesNotContain(PASSWORD);
    }

    @Test
    void passwordAndSendersChangeAndALoginIsRemovedOnce() throws Exception {
        users.add("alice@example.com", PASSWORD, List.of());

        assertThat(server.call("PUT", "/dispatch/submission/users/alice@example.com/password",
            "{\"password\": \"another long password\"}").status).isEqualTo(200);
        assertThat(users.checkPassword("alice@example.com", "another long password")).isTrue();
        RouteServer.Answer senders = server.call("PUT", "/dispatch/submission/users/alice@example.com/senders",
            "{\"allowedSenders\": [\"sales@example.com\"]}");
        assertThat(senders.json().get(0).get("allowedSenders").get(0).asText()).isEqualTo("sales@example.com");

        assertThat(server.call("DELETE", "/dispatch/submission/users/alice@example.com", null).status).isEqualTo(204);
        RouteServer.Answer again = server.call("DELETE", "/dispatch/submission/users/alice@example.com", null);
        assertThat(again.status).isEqualTo(404);
        assertThat(again.json().get("message").asText()).isEqualTo("no submission login alice@example.com");
        assertThat(users.find("alice@example.com")).isEmpty();
    }

    @Test
    void badInputIsRefusedWith400AndItsReason() throws Exception {
        RouteServer.Answer notJson = server.call("POST", "/dispatch/submission/users/alice@example.com", "password=x");
        assertThat(notJson.status).isEqualTo(400);
        assertThat(notJson.json().get("statusCode").asInt()).isEqualTo(400);
        assertThat(notJson.json().get("message").asText()).startsWith("the request body is not JSON");

        RouteServer.Answer noPassword = server.call("POST", "/dispatch/submission/users/alice@example.com", "{}");
        assertThat(noPassword.status).isEqualTo(400);
        assertThat(noPassword.json().get("message").asText())
            .isEqualTo("the request body needs \"password\" as a string");
        assertThat(users.list()).isEmpty();
    }
}
