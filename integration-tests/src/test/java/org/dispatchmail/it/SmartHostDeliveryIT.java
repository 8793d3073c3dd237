package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmartHostPeer;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.dispatchmail.it.support.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Transport rules to smart hosts, end to end against aiosmtpd relays that require TLS and AUTH: a
 * STARTTLS relay on a submission-style port and an implicit-TLS relay on a 465-style port, both with
 * certificates from a test CA trusted through delivery.tls.truststore and logins read from
 * passwordFile. The routed domains' MX records point at a sink that must never be used; a rule whose
 * password is wrong defers its mail (4.7.8) instead of bouncing it. A routed domain that DNS does not
 * know (an internal one) is taken at submission and relayed.
 */
@ExtendWith(CassandraExtension.class)
class SmartHostDeliveryIT {
    private static final String KEYSPACE = "e2e_smart_host";
    private static final String LOGIN = "alice@example.com";
    private static final String PASSWORD = "smarthost-pass-1-long";
    private static final String RELAY_USER = "relay-user";
    private static final String RELAY_PASSWORD = "relay secret 1";
    private static final String STARTTLS_RELAY = "127.0.0.90";
    private static final String IMPLICIT_RELAY = "127.0.0.91";
    private static final String DECOY_MX = "127.0.0.92";
    private static final String AUTH_RELAY = "127.0.0.93";

    private static DeliveryRig rig;
    private static SmartHostPeer startTlsRelay;
    private static SmartHostPeer implicitRelay;
    private static SmartHostPeer authRelay;
    private static SmtpSink decoy;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        TestCertificates certificates = TestCertificates.create();
        startTlsRelay = rig.peer(SmartHostPeer.start(STARTTLS_RELAY, FreePorts.pick(), SmartHostPeer.Mode.STARTTLS,
            certificates.server("smtp.relay.test"), RELAY_USER, RELAY_PASSWORD));
        implicitRelay = rig.peer(SmartHostPeer.start(IMPLICIT_RELAY, FreePorts.pick(), SmartHostPeer.Mode.IMPLICIT_TLS,
            certificates.server("smtps.relay.test"), RELAY_USER, RELAY_PASSWORD));
        // a relay of its own for the wrong password: an idle connection already logged in to another relay
        // with the same user name would be reused (connections are shared by host, port, TLS and user name)
        authRelay = rig.peer(SmartHostPeer.start(AUTH_RELAY, FreePorts.pick(), SmartHostPeer.Mode.STARTTLS,
            certificates.server("auth.relay.test"), RELAY_USER, RELAY_PASSWORD));
        // the MX records of the routed domains: the rig's remote port, where only the decoy listens
        decoy = rig.peer(SmtpSink.start(DECOY_MX, rig.remotePort(), "mx.decoy.test"));
        dns = rig.dns(List.of(
            "--host-record=smtp.relay.test," + STARTTLS_RELAY, "--host-record=smtps.relay.test," + IMPLICIT_RELAY,
            "--host-record=auth.relay.test," + AUTH_RELAY,
            "--host-record=mx.decoy.test," + DECOY_MX,
            "--mx-host=partner.test,mx.decoy.test,10", "--mx-host=implicit.test,mx.decoy.test,10",
            "--mx-host=badlogin.test,mx.decoy.test,10"));

        Path secrets = Files.createTempDirectory("relay-secrets-");
        Path goodPassword = secrets.resolve("relay.password");
        Files.writeString(goodPassword, RELAY_PASSWORD + "\n");
        Path wrongPassword = secrets.resolve("wrong.password");
        Files.writeString(wrongPassword, "not the relay secret\n");
        for (Path file : List.of(goodPassword, wrongPassword)) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        node = rig.node(Map.ofEntries(
            Map.entry("delivery.heloName", "dispatch.example.com"),
            Map.entry("queue.pollInterval", "200ms"),
            Map.entry("delivery.tls.truststore", certificates.truststore().toString()),
            Map.entry("delivery.tls.truststorePassword", TestCertificates.TRUSTSTORE_PASSWORD),
            Map.entry("transport.rules", "relay,relay465,badlogin"),
            // STARTTLS; tls is required by default for a smart host
            // corp.internal is in no DNS at all: only the relay knows it
            Map.entry("transport.relay.domains", "partner.test,corp.internal"),
            Map.entry("transport.relay.route", "smarthost"),
            Map.entry("transport.relay.host", "smtp.relay.test:" + startTlsRelay.port()),
            Map.entry("transport.relay.username", RELAY_USER),
            Map.entry("transport.relay.passwordFile", goodPassword.toString()),
            Map.entry("transport.relay465.domains", "implicit.test"),
            Map.entry("transport.relay465.route", "smarthost"),
            Map.entry("transport.relay465.host", "smtps.relay.test:" + implicitRelay.port()),
            Map.entry("transport.relay465.tls", "implicit"),
            Map.entry("transport.relay465.username", RELAY_USER),
            Map.entry("transport.relay465.passwordFile", goodPassword.toString()),
            Map.entry("transport.badlogin.domains", "badlogin.test"),
            Map.entry("transport.badlogin.route", "smarthost"),
            Map.entry("transport.badlogin.host", "auth.relay.test:" + authRelay.port()),
            Map.entry("transport.badlogin.tls", "required"),
            Map.entry("transport.badlogin.username", RELAY_USER),
            Map.entry("transport.badlogin.passwordFile", wrongPassword.toString())));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void aStartTlsSmartHostGetsTheMessageOverVerifiedTlsWithTheLoginAndTheEnvelope(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@partner.test";
        submit(recipient, token);

        SmartHostPeer.Received received = awaitReceived(startTlsRelay, token);
        assertThat(received.login()).isEqualTo(RELAY_USER);
        assertThat(received.tls()).isTrue();
        assertThat(received.mailFrom()).isEqualTo(LOGIN);
        assertThat(received.recipients()).containsExactly(recipient);
        assertThat(received.helo()).isEqualTo("dispatch.example.com");
        assertThat(received.content()).contains("Subject: smart host " + token);
        assertThat(messagesWith(startTlsRelay, token)).hasSize(1);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(30));
            List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
            assertThat(attempts).hasSize(1);
            assertThat(attempts.get(0).host()).hasValue("smtp.relay.test");
            assertThat(attempts.get(0).address()).hasValue(STARTTLS_RELAY);
            assertThat(attempts.get(0).tls().orElseThrow()).matches("TLSv1\\.[23] \\S+ verified");
        }
        assertThat(decoy.messages()).as("the MX records of a routed domain are not used").isEmpty();
    }

    @Test
    void aDomainThatOnlyTheRelayKnowsIsTakenAtSubmissionAndRelayed(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "erin-" + token.substring(0, 8) + "@corp.internal";
        submit(recipient, token);

        SmartHostPeer.Received received = awaitReceived(startTlsRelay, token);
        assertThat(received.login()).isEqualTo(RELAY_USER);
        assertThat(received.recipients()).containsExactly(recipient);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED, Duration.ofSeconds(30));
        }
    }

    @Test
    void anImplicitTlsSmartHostGetsTheMessageWithTheLogin(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@implicit.test";
        submit(recipient, token);

        SmartHostPeer.Received received = awaitReceived(implicitRelay, token);
        assertThat(received.login()).isEqualTo(RELAY_USER);
        assertThat(received.tls()).isTrue();
        assertThat(received.mailFrom()).isEqualTo(LOGIN);
        assertThat(received.recipients()).containsExactly(recipient);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(30));
            AttemptHistoryEntry attempt = queue.attempts(delivered).get(0);
            assertThat(attempt.host()).hasValue("smtps.relay.test");
            assertThat(attempt.address()).hasValue(IMPLICIT_RELAY);
            assertThat(attempt.tls().orElseThrow()).matches("TLSv1\\.[23] \\S+ verified");
        }
        assertThat(messagesWith(startTlsRelay, token)).isEmpty();
        assertThat(decoy.messages()).isEmpty();
    }

    @Test
    void aRefusedLoginDefersWith478AndNeitherBouncesNorFallsBackToTheMx(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@badlogin.test";
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord deferred = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DEFERRED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(deferred);
            assertThat(attempts).hasSize(1);
            AttemptHistoryEntry attempt = attempts.get(0);
            assertThat(attempt.host()).hasValue("auth.relay.test");
            assertThat(attempt.stage()).isEqualTo("auth");
            assertThat(attempt.enhancedCode()).hasValue("4.7.8");
            assertThat(attempt.text().orElseThrow()).contains("authentication as " + RELAY_USER + " failed")
                .contains("535");
            assertThat(attempt.decision()).isEqualTo("DEFERRED");
            assertThat(attempt.tls().orElseThrow()).as("the password went over TLS only")
                .matches("TLSv1\\.[23] \\S+ verified");
        }
        assertThat(messagesWith(authRelay, token)).isEmpty();
        assertThat(messagesWith(startTlsRelay, token)).isEmpty();
        assertThat(decoy.messages()).isEmpty();
    }

    private static void submit(String recipient, String token) throws Exception {
        String reply = Submission.send(node.port(587), LOGIN, PASSWORD, LOGIN, recipient,
            "From: Alice <" + LOGIN + ">\r\nTo: " + recipient + "\r\nSubject: smart host " + token
                + "\r\n\r\nToken " + token + ".\r\n");
        assertThat(reply).startsWith("250");
    }

    private static List<SmartHostPeer.Received> messagesWith(SmartHostPeer relay, String token) throws Exception {
        List<SmartHostPeer.Received> found = new ArrayList<>();
        for (SmartHostPeer.Received message : relay.messages()) {
            if (message.content().contains(token)) {
                found.add(message);
            }
        }
        return found;
    }

    private static SmartHostPeer.Received awaitReceived(SmartHostPeer relay, String token) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            List<SmartHostPeer.Received> found = messagesWith(relay, token);
            if (!found.isEmpty()) {
                return found.get(0);
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the smart host on " + relay.address() + " got no message " + token + ":\n"
            + relay.logText());
    }
}
