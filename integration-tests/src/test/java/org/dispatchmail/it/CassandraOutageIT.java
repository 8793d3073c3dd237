package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SaslClient;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.dispatchmail.it.support.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cassandra goes away while Dispatch runs: mail submitted in a session that logged in before is still accepted by
 * James, kept in its error repository on disk, and delivered once Cassandra is back and the mail is re-processed;
 * a new AUTH is refused meanwhile (454 4.7.0), since failures cannot be counted.
 */
@ExtendWith(CassandraExtension.class)
class CassandraOutageIT {
    private static final String ERROR_REPOSITORY = "var%2Fmail%2Ferror%2F";
    private static final String MX_ADDRESS = "127.0.0.26";

    private static TcpProxy proxy;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        proxy = new TcpProxy(cassandra.address(), cassandra.nativePort(), FreePorts.pick());
        int sinkPort = FreePorts.pick();
        sink = SmtpSink.start(MX_ADDRESS, sinkPort, "mx.outage.test");
        dns = DnsmasqServer.start(List.of("--mx-host=outage.test,mx.outage.test,10",
            "--host-record=mx.outage.test," + MX_ADDRESS));
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", "127.0.0.1:" + proxy.port(),
            "cassandra.keyspace", "outage",
            "cassandra.requestTimeout", "2s",
            "dns.servers", dns.address(),
            "delivery.remotePort", String.valueOf(sinkPort),
            "queue.pollInterval", "200ms"));
        node.admin("add-domain", "example.com");
        node.adminWithInput("outage-pass-1\n", "add-user", "carol@example.com");
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {node, dns, sink, proxy}) {
            if (part != null) {
                part.close();
            }
        }
    }

    @Test
    void mailSubmittedWhileCassandraIsAwayIsKeptAndDeliveredAfterwards() throws Exception {
        String token = UUID.randomUUID().toString();
        // AUTH needs the failure counts in Cassandra (it fails closed), so the client logs in first
        try (SubmissionSession session = SubmissionSession.open(node.port(587), "carol@example.com", "outage-pass-1")) {
            proxy.cut();
            String reply = session.send("carol@example.com", List.of("dave@outage.test"),
                "From: carol@example.com\r\nTo: dave@outage.test\r\nSubject: " + token
                    + "\r\n\r\nSent while Cassandra was away.\r\n");
            assertThat(reply).startsWith("250");
        }
        // while the failure counts are away, nobody logs in: AUTH fails closed
        try (RawSmtpSession session = RawSmtpSession.open(node.port(587), false)) {
            session.send("EHLO client.test");
            session.startTls();
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("carol@example.com", "outage-pass-1")))
                .isEqualTo("454 4.7.0 Authentication temporarily unavailable; try again later");
        }

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .until(() -> errorRepositorySize() == 1);
        assertThat(sink.messages()).noneMatch(message -> message.contains(token));

        proxy.resume();
        // Re-process the kept mail through the normal processing, as an admin would after an outage.
        // The driver reconnects on its own schedule, so repeat until the mail has left the repository.
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(3)).until(() -> {
            if (errorRepositorySize() > 0) {
                webadmin("PATCH", "/mailRepositories/" + ERROR_REPOSITORY + "/mails?action=reprocess&processor=transport");
            }
            return sink.messages().stream().anyMatch(message -> message.contains(token));
        });
        assertThat(errorRepositorySize()).isZero();
    }

    private static int errorRepositorySize() throws IOException, InterruptedException {
        String body = webadmin("GET", "/mailRepositories/" + ERROR_REPOSITORY + "/mails");
        String keys = body.trim();
        if (keys.equals("[]") || keys.isEmpty()) {
            return 0;
        }
        return keys.split(",").length;
    }

    private static String webadmin(String method, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(node.webadmin() + path)).header("Authorization", node.bearer())
                .method(method, HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404 && method.equals("GET")) {
            return "[]";
        }
        if (response.statusCode() >= 400) {
            throw new IOException(method + " " + path + " -> " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }
}
