package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;

import org.dispatchmail.core.admin.QueueAdmin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the queue routes refuse before they touch the queue (the queue itself is exercised end to end by
 * QueueAdminIT): the admin here has no store, so any call that reached it would fail with 500.
 */
class QueueRoutesTest {
    private final RouteServer server = new RouteServer(new QueueRoutes(
        new QueueAdmin(null, null, Duration.ofDays(5), Clock.systemUTC())));

    @AfterEach
    void stop() {
        server.close();
    }

    private void assertBadRequest(String method, String path, String message) throws Exception {
        RouteServer.Answer answer = server.call(method, path, null);
        assertThat(answer.status).as(path).isEqualTo(400);
        assertThat(answer.json().get("message").asText()).as(path).isEqualTo(message);
    }

    @Test
    void commandsOnManyMessagesMustNameTheirScope() throws Exception {
        assertBadRequest("POST", "/dispatch/queue?action=retry",
            "name the messages: domain=D, or all=true for the whole queue");
        assertBadRequest("DELETE", "/dispatch/queue", "name the messages: domain=D, or all=true for the whole queue");
    }

    @Test
    void malformedParametersAreNamed() throws Exception {
        assertBadRequest("GET", "/dispatch/queue?limit=0", "limit must be a number from 1 to 10000");
        assertBadRequest("GET", "/dispatch/queue?state=lost", "unknown state lost: use pending, in_flight, deferred,"
            + " held, delivered, bounced or expired");
        assertBadRequest("GET", "/dispatch/queue/messages/42", "not a queue id: 42");
    }
}
