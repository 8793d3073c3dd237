package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.PostfixPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.dispatchmail.it.support.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * STARTTLS on MX delivery, end to end against a real Postfix. One Postfix, whose certificate (from a
 * test CA that Dispatch trusts through delivery.tls.truststore) names mx.verified.test only, is the MX
 * of three domains under three names: tls.test (no transport rule: opportunistic TLS, any certificate),
 * strict.test (tls=required, reached as mx.strict.test, which the certificate does not name) and
 * verified.test (tls=required, reached as mx.verified.test).
 */
@ExtendWith(CassandraExtension.class)
class TlsDeliveryIT {
    private static final String KEYSPACE = "e2e_tls_delivery";
    private static final String LOGIN = "alice@example.com";
    private static final String PASSWORD = "tls-pass-1-long";
    private static final String POSTFIX_ADDRESS = "127.0.0.80";
    private static final String SINK_ADDRESS = "127.0.0.81";
    /** "TLSv1.3 TLS_AES_256_GCM_SHA384 verified": protocol, cipher suite, certificate verdict. */
    private static final Pattern TLS = Pattern.compile("(TLSv1\\.[23]) (\\S+) (verified|unverified)");

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static PostfixPeer postfix;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        TestCertificates certificates = TestCertificates.create();
        rig = new DeliveryRig(cassandra, KEYSPACE);
        sink = rig.peer(SmtpSink.start(SINK_ADDRESS, FreePorts.pick(), "final.tls.test"));
        postfix = rig.peer(PostfixPeer.builder(POSTFIX_ADDRESS, rig.remotePort()).hostName("mx.verified.test")
            .acceptDomains("tls.test", "strict.test", "verified.test").relayTo(sink.address(), sink.port())
            .tls(certificates.server("mx.verified.test")).start());
        dns = rig.dns(List.of(
            "--mx-host=tls.test,mx.tls.test,10", "--host-record=mx.tls.test," + POSTFIX_ADDRESS,
            "--mx-host=strict.test,mx.strict.test,10", "--host-record=mx.strict.test," + POSTFIX_ADDRESS,
            "--mx-host=verified.test,mx.verified.test,10", "--host-record=mx.verified.test," + POSTFIX_ADDRESS));
        node = rig.node(Map.ofEntries(
            Map.entry("delivery.heloName", "dispatch.example.com"),
            Map.entry("queue.pollInterval", "200ms"),
            Map.entry("delivery.tls.truststore", certificates.truststore().toString()),
            Map.entry("delivery.tls.truststorePassword", TestCertificates.TRUSTSTORE_PASSWORD),
            Map.entry("transport.rules", "strict,verified"),
            Map.entry("transport.strict.domains", "strict.test"),
            Map.entry("transport.strict.tls", "required"),
            Map.entry("transport.verified.domains", "verified.test"),
            Map.entry("transport.verified.tls", "required")));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void opportunisticTlsIsUsedWithACertificateForAnotherNameAndRecordedInTheAttempt(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@tls.test";
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
            assertThat(attempts).hasSize(1);
            AttemptHistoryEntry attempt = attempts.get(0);
            assertThat(attempt.host()).hasValue("mx.tls.test");
            assertThat(attempt.decision()).isEqualTo("DELIVERED");
            Matcher tls = TLS.matcher(attempt.tls().orElse(""));
            assertThat(tls.matches()).as("tls: %s", attempt.tls()).isTrue();
            // the certificate names mx.verified.test, not mx.tls.test: used, but not called verified
            assertThat(tls.group(3)).isEqualTo("unverified");
            // Postfix saw the same protocol and cipher
            assertThat(postfix.logText()).as(postfix.describe())
                .contains("TLS connection established from").contains(tls.group(1) + " with cipher " + tls.group(2));
        }
        assertThat(awaitMessages(token, Duration.ofSeconds(30))).hasSize(1).first().asString()
            .contains("X-Rcpt-Args: <" + recipient + ">");
    }

    @Test
    void requiredTlsWithACertificateForAnotherNameDefersWith475AndNeverSendsInPlainText(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@strict.test";
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord deferred = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DEFERRED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(deferred);
            assertThat(attempts).hasSize(1);
            AttemptHistoryEntry attempt = attempts.get(0);
            assertThat(attempt.host()).hasValue("mx.strict.test");
            assertThat(attempt.address()).hasValue(POSTFIX_ADDRESS);
            assertThat(attempt.stage()).isEqualTo("starttls");
            assertThat(attempt.enhancedCode()).hasValue("4.7.5");
            assertThat(attempt.text().orElseThrow()).contains("does not match host name mx.strict.test");
            assertThat(attempt.decision()).isEqualTo("DEFERRED");
            assertThat(attempt.nextAttemptAt()).isPresent();
            assertThat(attempt.tls()).as("no TLS session was established").isEmpty();
            assertThat(deferred.lastResult().orElseThrow()).contains("4.7.5");
        }
        // no transaction was made after the failed handshake: Postfix never saw the recipient, the sink has nothing
        assertThat(postfix.logText()).as(postfix.describe()).doesNotContain(recipient);
        assertThat(sink.messagesWith(token)).isEmpty();
    }

    @Test
    void requiredTlsWithTheRightNameAndATrustedCaDeliversVerified(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@verified.test";
        submit(recipient, token);
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
            assertThat(attempts).hasSize(1);
            AttemptHistoryEntry attempt = attempts.get(0);
            assertThat(attempt.host()).hasValue("mx.verified.test");
            assertThat(attempt.replyCode()).hasValue(250);
            Matcher tls = TLS.matcher(attempt.tls().orElse(""));
            assertThat(tls.matches()).as("tls: %s", attempt.tls()).isTrue();
            assertThat(tls.group(3)).isEqualTo("verified");
        }
        assertThat(awaitMessages(token, Duration.ofSeconds(30))).hasSize(1);
    }

    private static void submit(String recipient, String token) throws Exception {
        String reply = Submission.send(node.port(587), LOGIN, PASSWORD, LOGIN, recipient,
            "From: Alice <" + LOGIN + ">\r\nTo: " + recipient + "\r\nSubject: tls " + token
                + "\r\n\r\nToken " + token + ".\r\n");
        assertThat(reply).startsWith("250");
    }

    /** The messages with the token at the final sink, once Postfix has relayed at least one. */
    private static List<String> awaitMessages(String token, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> found = sink.messagesWith(token);
            if (!found.isEmpty()) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Postfix did not relay the message " + token + " within " + timeout + "\n"
            + postfix.describe());
    }
}
