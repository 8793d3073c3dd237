package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SaslClient;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.dispatchmail.it.support.SubmissionSession;
import org.dispatchmail.it.support.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cassandra goes away while Dispatch runs. A mail is accepted (250) only once it is in Cassandra:
 * without Cassandra DATA answers 451 4.3.0, and so do MAIL FROM and RCPT TO where sending limits apply.
 * A mail Dispatch could not queue (Cassandra lost between the 250 and the queue) waits in the error
 * repository on disk and is queued by the node itself once Cassandra answers again. A new AUTH is refused
 * meanwhile (454 4.7.0), since failures cannot be counted. Every path that ends a mail's processing leaves the
 * intake journal empty.
 */
@ExtendWith(CassandraExtension.class)
class CassandraOutageIT {
    private static final String ERROR_REPOSITORY = "var%2Fmail%2Ferror%2F";
    private static final String MX_ADDRESS = "127.0.0.26";
    private static final String PASSWORD = "outage-pass-1";

    private static TcpProxy proxy;
    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;
    private static QueueState state;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, "outage");
        proxy = rig.peer(new TcpProxy(cassandra.address(), cassandra.nativePort(), FreePorts.pick()));
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.outage.test"));
        dns = rig.dns(List.of("--mx-host=outage.test,mx.outage.test,10",
            "--host-record=mx.outage.test," + MX_ADDRESS));
        // the node reaches Cassandra through the proxy, which the tests cut
        node = rig.node(Map.of(
            "cassandra.contactPoints", "127.0.0.1:" + proxy.port(),
            "cassandra.requestTimeout", "3s",
            "intake.takeoverInterval", "1s",
            "intake.reprocessFirstDelay", "1s"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", "carol@example.com");
        state = rig.peer(new QueueState(cassandra, "outage"));
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @AfterEach
    void cassandraBack() throws IOException {
        proxy.latency(Duration.ZERO);
        proxy.resume();
    }

    @Test
    void withoutCassandraNothingIsAcceptedAnd451TellsTheClientToComeBack() throws Exception {
        String token = UUID.randomUUID().toString();
        try (SubmissionSession submission = SubmissionSession.open(node.port(587), "carol@example.com", PASSWORD);
             RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            proxy.cut();

            // sending limits cannot be read: refused before the message, by default
            assertThatThrownBy(() -> submission.send("carol@example.com", List.of("dave@outage.test"),
                message(token))).hasMessageStartingWith("MAIL FROM refused: 451 4.3.0");

            // port 25 has no limits: the message itself cannot be stored, so it is not accepted
            assertThat(mx.sendForFirstLine("EHLO sender.test")).startsWith("250");
            assertThat(mx.sendForFirstLine("MAIL FROM:<erin@sender.test>")).startsWith("250");
            assertThat(mx.sendForFirstLine("RCPT TO:<carol@example.com>")).startsWith("250");
            assertThat(mx.sendForFirstLine("DATA")).startsWith("354");
            assertThat(mx.sendForFirstLine(message(token) + ".")).startsWith("451 4.3.0");
        }
        // nobody logs in while the failure counts are away: AUTH fails closed
        try (RawSmtpSession session = RawSmtpSession.open(node.port(587), false)) {
            session.send("EHLO client.test");
            session.startTls();
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("carol@example.com", PASSWORD)))
                .isEqualTo("454 4.7.0 Authentication temporarily unavailable; try again later");
        }
        proxy.resume();

        // the client's retry succeeds once Cassandra answers (the driver reconnects on its own schedule)
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).ignoreExceptions().until(() ->
            Submission.send(node.port(587), "carol@example.com", PASSWORD, "carol@example.com", "dave@outage.test",
                message(token)).startsWith("250"));
        await().atMost(Duration.ofSeconds(60)).until(() -> sink.messagesWith(token).size() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> state.intakeEntries().isEmpty());
    }

    @Test
    void mailDispatchCouldNotQueueIsQueuedByTheNodeOnceCassandraAnswers() throws Exception {
        String token = UUID.randomUUID().toString();
        try (SubmissionSession submission = SubmissionSession.open(node.port(587), "carol@example.com", PASSWORD)) {
            // every request now takes a second: the mail is journaled (250) and Dispatch's hand-over is still
            // on the wire when Cassandra goes away
            proxy.latency(Duration.ofSeconds(1));
            assertThat(submission.send("carol@example.com", List.of("dave@outage.test"), message(token)))
                .startsWith("250");
            proxy.cut();
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> errorRepositorySize() == 1);
        assertThat(sink.messagesWith(token)).isEmpty();

        proxy.latency(Duration.ZERO);
        proxy.resume();

        // no admin action: the node queues it once Cassandra answers, and it is delivered once
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
            .until(() -> sink.messagesWith(token).size() == 1);
        assertThat(errorRepositorySize()).isZero();
        await().atMost(Duration.ofSeconds(30)).until(() -> state.intakeEntries().isEmpty());
        assertThat(node.jamesLog()).content().contains("handed to the queue");
    }

    @Test
    void everyPathThatEndsProcessingClearsTheJournal() throws Exception {
        String token = UUID.randomUUID().toString();
        // outbound: queued by Dispatch and delivered
        assertThat(Submission.send(node.port(587), "carol@example.com", PASSWORD, "carol@example.com",
            "dave@outage.test", message(token))).startsWith("250");
        // a local recipient: LocalDelivery
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.sendForFirstLine("EHLO sender.test");
            mx.sendForFirstLine("MAIL FROM:<erin@sender.test>");
            mx.sendForFirstLine("RCPT TO:<carol@example.com>");
            mx.sendForFirstLine("DATA");
            assertThat(mx.sendForFirstLine(message(token) + ".")).startsWith("250");
        }
        // a local domain without such a user, submitted: kept in address-error and bounced to carol
        // (the bounce, made by a mailet, takes the local path too)
        assertThat(Submission.send(node.port(587), "carol@example.com", PASSWORD, "carol@example.com",
            "nobody@example.com", message(token))).startsWith("250");

        await().atMost(Duration.ofSeconds(60)).until(() -> sink.messagesWith(token).size() == 1);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> state.intakeEntries().isEmpty() && mailsIn("var%2Fmail%2Faddress-error%2F") >= 1);
        assertThat(errorRepositorySize()).isZero();
    }

    private static String message(String token) {
        return "From: carol@example.com\r\nTo: dave@outage.test\r\nSubject: " + token
            + "\r\nMessage-ID: <" + UUID.randomUUID() + "@example.com>\r\n\r\nSent while Cassandra came and went.\r\n";
    }

    private static int errorRepositorySize() throws IOException, InterruptedException {
        return mailsIn(ERROR_REPOSITORY);
    }

    private static int mailsIn(String repository) throws IOException, InterruptedException {
        String keys = webadmin("GET", "/mailRepositories/" + repository + "/mails").trim();
        if (keys.equals("[]") || keys.isEmpty()) {
            return 0;
        }
        return keys.split(",").length;
    }

    private static String webadmin(String method, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(node.webadmin() + path)).header("Authorization", node.bearer()).method(method, HttpRequest.BodyPublishers.noBody()).build(),
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
