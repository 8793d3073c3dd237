package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MxPattern;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.RoutingSettings;
import org.dispatchmail.core.routing.TlsPolicy;
import org.dispatchmail.core.routing.TransportRules;
import org.dispatchmail.core.testing.TestPki;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MTA-STS applied by the deliverer with the real SMTP client: a real DNS server (dnsmasq) and fake SMTP servers on
 * loopback that present certificates of the test PKI; the policies come from memory.
 */
class MxDelivererMtaStsTest {

    private static final String MX = "mx.sts.test";
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
    private static final String VERIFIED = "TLSv1\\.[23] \\S+ verified";
    private static final String UNVERIFIED = "TLSv1\\.[23] \\S+ unverified";

    private static DnsmasqServer dns;
    private static TestPki pki;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-03-01T10:00:00Z"));
    private final Map<String, MtaStsPolicy> policies = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        pki = TestPki.forHost(MX);
        // two domains, one MX host on loopback
        dns = DnsmasqServer.start(List.of(
                "--mx-host=sts.test,mx.sts.test,10",
                "--mx-host=plain.test,mx.sts.test,10",
                "--host-record=mx.sts.test,127.0.0.1"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    private static Envelope envelope(String recipient) {
        return new Envelope("sender@origin.test", List.of(recipient));
    }

    private void policy(String domain, MtaStsPolicy.Mode mode, String mx) {
        policies.put(domain, new MtaStsPolicy(mode, List.of(MxPattern.parse(mx).orElseThrow()), Duration.ofDays(1)));
    }

    private SmtpClient client(FakeSmtpServer server) {
        return new SmtpClient(settings(server), clock);
    }

    private static DeliverySettings settings(FakeSmtpServer server) {
        return DeliverySettings.builder()
                .remotePort(server.port())
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5))
                .trustStore(pki.trustStore())
                .build();
    }

    /** The default route, opportunistic TLS, with the policies of {@link #policies}. */
    private MxDeliverer deliverer(FakeSmtpServer server, SmtpClient client) {
        return new MxDeliverer(new MxResolver(List.of(dns.address()), Duration.ofSeconds(1)), client,
                settings(server), new RoutingSettings(TransportRules.mxOnly(TlsPolicy.OPPORTUNISTIC),
                Duration.ofMinutes(5)), domain -> Optional.ofNullable(policies.get(domain)), clock);
    }

    private static void startTls(FakeSmtpServer.Session s, SSLContext context) throws IOException {
        s.reply("220 mx.sts.test ESMTP");
        s.expect("EHLO client.test", "250-mx.sts.test", "250 STARTTLS");
        s.expect("STARTTLS", "220 2.0.0 Ready to start TLS");
        s.startTls(context);
        s.expect("EHLO client.test", "250 mx.sts.test");
    }

    private static void transaction(FakeSmtpServer.Session s, String recipient) throws IOException {
        s.expect("MAIL FROM:<sender@origin.test>", "250 2.1.0 Ok");
        s.expect("RCPT TO:<" + recipient + ">", "250 2.1.5 Ok");
        s.expect("DATA", "354 go ahead");
        s.data();
        s.reply("250 2.0.0 queued");
    }

    @Test
    void enforceWithAValidCertificateDelivers() throws Exception {
        policy("sts.test", MtaStsPolicy.Mode.ENFORCE, MX);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.caSignedServer());
            transaction(s, "alice@sts.test");
            s.expect("QUIT", "221 Bye");
        })) {
            List<RecipientOutcome> outcomes;
            try (SmtpClient client = client(server)) {
                outcomes = deliverer(server, client).deliver("sts.test", envelope("alice@sts.test"), MESSAGE);
            }
            server.awaitScripts();

            RecipientOutcome alice = outcomes.get(0);
            assertThat(alice.status()).isEqualTo(Status.DELIVERED);
            assertThat(alice.tls()).hasValueSatisfying(tls -> assertThat(tls).matches(VERIFIED));
            assertThat(alice.policy()).contains("mta-sts");
        }
    }

    @Test
    void enforceWithACertificateForAnotherNameDefersAndSendsNothingInPlainText() throws Exception {
        policy("sts.test", MtaStsPolicy.Mode.ENFORCE, MX);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.sts.test ESMTP");
            s.expect("EHLO client.test", "250-mx.sts.test", "250 STARTTLS");
            s.expect("STARTTLS", "220 2.0.0 Ready to start TLS");
            try {
                s.startTls(pki.otherNameServer());
                throw new AssertionError("the client completed a handshake with a certificate for another name");
            } catch (IOException expected) {
                // the client refused the certificate
            }
        })) {
            List<RecipientOutcome> outcomes;
            try (SmtpClient client = client(server)) {
                outcomes = deliverer(server, client).deliver("sts.test", envelope("alice@sts.test"), MESSAGE);
            }
            server.awaitScripts();

            RecipientOutcome alice = outcomes.get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.failureKind()).contains(FailureKind.TLS_FAILED);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.5");
            assertThat(alice.policy()).contains("mta-sts");
            // one connection, and no plain-text retry: the envelope never went out
            assertThat(server.clients()).hasSize(1);
            assertThat(server.commands()).containsExactly("EHLO client.test", "STARTTLS");
        }
    }

    @Test
    void enforceWithNoMatchingMxDefersWithoutConnecting() throws Exception {
        policy("sts.test", MtaStsPolicy.Mode.ENFORCE, "*.elsewhere.test");
        try (FakeSmtpServer server = FakeSmtpServer.start()) {
            List<RecipientOutcome> outcomes;
            try (SmtpClient client = client(server)) {
                outcomes = deliverer(server, client).deliver("sts.test", envelope("alice@sts.test"), MESSAGE);
            }

            RecipientOutcome alice = outcomes.get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.failureKind()).contains(FailureKind.MTA_STS_NO_VALID_MX);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.5");
            assertThat(alice.error()).contains("sts.test").contains(MX).contains("*.elsewhere.test");
            assertThat(server.clients()).isEmpty();
        }
    }

    @Test
    void testingWithAnUntrustedCertificateDeliversOpportunisticallyAndReportsIt() throws Exception {
        policy("sts.test", MtaStsPolicy.Mode.TESTING, MX);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.selfSignedServer());
            transaction(s, "alice@sts.test");
            s.expect("QUIT", "221 Bye");
        })) {
            MxDeliverer.Result result;
            try (SmtpClient client = client(server)) {
                result = deliverer(server, client).deliverRouted("sts.test", envelope("alice@sts.test"), MESSAGE);
            }
            server.awaitScripts();

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.DELIVERED);
            assertThat(alice.tls()).hasValueSatisfying(tls -> assertThat(tls).matches(UNVERIFIED));
            assertThat(alice.policy()).contains("mta-sts-testing");
            assertThat(result.testingRefusals()).singleElement().asString()
                    .startsWith("mx.sts.test[127.0.0.1] has a certificate that did not verify");
        }
    }

    @Test
    void twoDomainsOnOneMxHostNeverShareASessionWhenOnlyOneHasAnEnforcePolicy() throws Exception {
        policy("sts.test", MtaStsPolicy.Mode.ENFORCE, MX);
        // the first connection offers no STARTTLS: fine for opportunistic mail, never for MTA-STS mail
        try (FakeSmtpServer server = FakeSmtpServer.startConcurrent(s -> {
            s.reply("220 mx.sts.test ESMTP");
            s.expect("EHLO client.test", "250 mx.sts.test");
            transaction(s, "bob@plain.test");
            s.expect("RSET", "250 Ok"); // a pooled session is reset before its next use
            transaction(s, "carol@plain.test");
            s.expect("QUIT", "221 Bye");
        }, s -> {
            startTls(s, pki.caSignedServer());
            transaction(s, "alice@sts.test");
            s.expect("RSET", "250 Ok");
            transaction(s, "dave@sts.test");
            s.expect("QUIT", "221 Bye");
        })) {
            List<RecipientOutcome> bob;
            List<RecipientOutcome> alice;
            List<RecipientOutcome> carol;
            List<RecipientOutcome> dave;
            try (SmtpClient client = client(server)) {
                MxDeliverer deliverer = deliverer(server, client);
                bob = deliverer.deliver("plain.test", envelope("bob@plain.test"), MESSAGE);
                alice = deliverer.deliver("sts.test", envelope("alice@sts.test"), MESSAGE);
                carol = deliverer.deliver("plain.test", envelope("carol@plain.test"), MESSAGE);
                dave = deliverer.deliver("sts.test", envelope("dave@sts.test"), MESSAGE);
            }
            server.awaitScripts();

            // each script checks its recipients: the plain session carried only plain.test mail, and the
            // verified session only sts.test mail; each was reused once
            assertThat(server.clients()).hasSize(2);
            assertThat(List.of(bob, alice, carol, dave)).allSatisfy(outcomes ->
                    assertThat(outcomes.get(0).status()).isEqualTo(Status.DELIVERED));
            assertThat(bob.get(0).tls()).isEmpty();
            assertThat(bob.get(0).policy()).contains("opportunistic");
            assertThat(dave.get(0).tls()).hasValueSatisfying(tls -> assertThat(tls).matches(VERIFIED));
            assertThat(dave.get(0).policy()).contains("mta-sts");
        }
    }
}
