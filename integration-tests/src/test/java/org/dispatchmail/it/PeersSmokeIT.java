package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.net.ssl.SSLException;

import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.MisbehavingPeer;
import org.dispatchmail.it.support.PostfixPeer;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmartHostPeer;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real peers later delivery tests rely on, driven by hand with raw SMTP: a greylisting Postfix
 * (postgrey) with STARTTLS relaying to smtp-sink, an authenticating aiosmtpd smart host in both TLS
 * modes, and smtp-sink failing on purpose.
 */
class PeersSmokeIT {
    private static final Duration GREYLIST_DELAY = Duration.ofSeconds(5);
    private static TestCertificates certificates;

    @BeforeAll
    static void makeCertificates() throws Exception {
        certificates = TestCertificates.create();
    }

    @Test
    void greylistingPostfixDefersANewTripletThenAcceptsItAfterTheDelayAndRelaysIt() throws Exception {
        String token = UUID.randomUUID().toString();
        try (SmtpSink sink = SmtpSink.start("127.0.0.41", FreePorts.pick(), "final.grey.test");
             PostfixPeer postfix = PostfixPeer.builder("127.0.0.42", FreePorts.pick())
                 .hostName("mx.grey.test").acceptDomains("grey.test").relayTo(sink.address(), sink.port())
                 .greylisting("127.0.0.43", FreePorts.pick(), GREYLIST_DELAY)
                 .tls(certificates.server("mx.grey.test")).start();
             RawSmtpSession session = RawSmtpSession.open(postfix.address(), postfix.port(), null, "127.0.0.44")) {
            assertThat(session.greeting().get(0)).isEqualTo("220 mx.grey.test ESMTP");
            assertThat(session.send("EHLO client.test")).contains("250-STARTTLS");
            session.startTls(certificates.clientContext());
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<carol@elsewhere.test>"))
                .as(postfix.describe()).startsWith("554 5.7.1 <carol@elsewhere.test>: Relay access denied");

            long first = System.nanoTime();
            assertThat(session.sendForFirstLine("RCPT TO:<bob@grey.test>")).as(postfix.describe())
                .isEqualTo("450 4.2.0 <bob@grey.test>: Recipient address rejected: Greylisted, "
                    + "see http://postgrey.schweikert.ch/help/grey.test.html");
            String accepted = null;
            long deadline = first + GREYLIST_DELAY.plusSeconds(20).toNanos();
            while (accepted == null && System.nanoTime() < deadline) {
                Thread.sleep(500);
                String reply = session.sendForFirstLine("RCPT TO:<bob@grey.test>");
                if (reply.startsWith("250")) {
                    accepted = reply;
                } else {
                    assertThat(reply).as(postfix.describe()).startsWith("450 4.2.0 ");
                }
            }
            assertThat(accepted).as("accepted within the delay and 20 s; " + postfix.describe()).isNotNull();
            // postgrey keeps whole seconds: a first try at x.9 s counts from x, so it may accept up to 1 s early
            assertThat(Duration.ofNanos(System.nanoTime() - first)).isGreaterThanOrEqualTo(GREYLIST_DELAY.minusSeconds(1));

            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            assertThat(session.sendForFirstLine("Subject: " + token + "\r\n\r\nGreylisted once.\r\n."))
                .startsWith("250 2.0.0 Ok: queued as ");
            session.sendForFirstLine("QUIT");

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> sink.messages().stream().anyMatch(message -> message.contains(token)));
            String relayed = sink.messages().stream().filter(message -> message.contains(token)).findFirst().orElseThrow();
            assertThat(relayed).contains("X-Mail-Args: <alice@example.com>").contains("X-Rcpt-Args: <bob@grey.test>")
                .contains("X-Greylist: delayed ");

            List<Map<String, String>> decisions = postfix.greylistDecisions();
            assertThat(decisions.get(0)).containsEntry("action", "greylist").containsEntry("reason", "new")
                .containsEntry("client_address", "127.0.0.44").containsEntry("sender", "alice@example.com")
                .containsEntry("recipient", "bob@grey.test");
            assertThat(decisions.get(decisions.size() - 1)).containsEntry("action", "pass")
                .containsEntry("reason", "triplet found");
            assertThat(postfix.logText()).contains("status=sent");
        }
    }

    @Test
    void smartHostRequiresStartTlsAndAuthAndRecordsTheLoginWithTheEnvelope() throws Exception {
        TestCertificates.ServerCertificate certificate = certificates.server("smarthost.test", "127.0.0.45");
        try (SmartHostPeer host = SmartHostPeer.start("127.0.0.45", FreePorts.pick(), SmartHostPeer.Mode.STARTTLS,
                 certificate, "relay-user", "relay secret");
             RawSmtpSession session = RawSmtpSession.open(host.address(), host.port(), null, "127.0.0.1")) {
            assertThat(session.greeting().get(0)).startsWith("220 smarthost.test");
            assertThat(session.send("EHLO client.test")).anyMatch(line -> line.contains("STARTTLS"));
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("530");
            session.startTls(certificates.clientContext());
            assertThat(session.send("EHLO client.test")).anyMatch(line -> line.matches("250.AUTH.*PLAIN.*")
                || line.matches("250.AUTH.*LOGIN.*"));
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).as(host.logText()).startsWith("530");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + plain("relay-user", "wrong")))
                .as(host.logText()).startsWith("535");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + plain("relay-user", "relay secret")))
                .as(host.logText()).startsWith("235");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@far.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<carol@far.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            assertThat(session.sendForFirstLine("Subject: via smart host\r\n\r\nRelayed.\r\n."))
                .isEqualTo("250 2.0.0 Ok: stored as 000001");

            List<SmartHostPeer.Received> received = host.messages();
            assertThat(received).hasSize(1);
            assertThat(received.get(0).login()).isEqualTo("relay-user");
            assertThat(received.get(0).tls()).isTrue();
            assertThat(received.get(0).mailFrom()).isEqualTo("alice@example.com");
            assertThat(received.get(0).recipients()).containsExactly("bob@far.test", "carol@far.test");
            assertThat(received.get(0).content()).contains("Subject: via smart host").contains("Relayed.");
        }
    }

    @Test
    void implicitTlsSmartHostTakesAuthLoginOnlyFromAClientThatTrustsItsCa() throws Exception {
        TestCertificates.ServerCertificate certificate = certificates.server("smarthost.test", "127.0.0.46");
        try (SmartHostPeer host = SmartHostPeer.start("127.0.0.46", FreePorts.pick(), SmartHostPeer.Mode.IMPLICIT_TLS,
            certificate, "relay-user", "relay secret")) {
            TestCertificates otherCa = TestCertificates.create();
            assertThatThrownBy(() -> RawSmtpSession.open(host.address(), host.port(), otherCa.clientContext(), "127.0.0.1"))
                .isInstanceOf(SSLException.class);
            try (RawSmtpSession session = RawSmtpSession.open(host.address(), host.port(), certificates.clientContext(),
                "127.0.0.1")) {
                assertThat(session.greeting().get(0)).startsWith("220 smarthost.test");
                assertThat(session.send("EHLO client.test")).noneMatch(line -> line.contains("STARTTLS"));
                assertThat(session.sendForFirstLine("AUTH LOGIN")).startsWith("334");
                assertThat(session.sendForFirstLine(base64("relay-user"))).startsWith("334");
                assertThat(session.sendForFirstLine(base64("relay secret"))).as(host.logText()).startsWith("235");
                assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("250");
                assertThat(session.sendForFirstLine("RCPT TO:<bob@far.test>")).startsWith("250");
                assertThat(session.sendForFirstLine("DATA")).startsWith("354");
                assertThat(session.sendForFirstLine("Subject: implicit\r\n\r\nOver 465.\r\n.")).startsWith("250");
            }
            assertThat(host.messages()).singleElement().satisfies(message -> {
                assertThat(message.login()).isEqualTo("relay-user");
                assertThat(message.tls()).isTrue();
                assertThat(message.recipients()).containsExactly("bob@far.test");
            });
        }
    }

    @Test
    void misbehavingPeersFailAtTheCommandsAsked() throws Exception {
        try (SmtpSink peer = MisbehavingPeer.refusesAtGreeting("127.0.0.47", FreePorts.pick());
             RawSmtpSession session = RawSmtpSession.open(peer.address(), peer.port(), null, "127.0.0.1")) {
            assertThat(session.greeting()).containsExactly("421 4.0.0 Server closing connection");
            assertThat(session.closedByPeer()).isTrue();
        }
        try (SmtpSink peer = MisbehavingPeer.tempFailsAtRcpt("127.0.0.47", FreePorts.pick(), "451 4.3.0 Try again later");
             RawSmtpSession session = RawSmtpSession.open(peer.address(), peer.port(), null, "127.0.0.1")) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("MAIL FROM:<alice@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@far.test>")).isEqualTo("451 4.3.0 Try again later");
        }
        try (SmtpSink peer = MisbehavingPeer.rejectsAtRcpt("127.0.0.47", FreePorts.pick(), "550 5.1.1 No such user");
             RawSmtpSession session = RawSmtpSession.open(peer.address(), peer.port(), null, "127.0.0.1")) {
            session.send("EHLO client.test");
            session.sendForFirstLine("MAIL FROM:<alice@example.com>");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@far.test>")).isEqualTo("550 5.1.1 No such user");
        }
        String token = UUID.randomUUID().toString();
        try (SmtpSink peer = MisbehavingPeer.dropsAfterData("127.0.0.47", FreePorts.pick());
             RawSmtpSession session = RawSmtpSession.open(peer.address(), peer.port(), null, "127.0.0.1")) {
            session.send("EHLO client.test");
            session.sendForFirstLine("MAIL FROM:<alice@example.com>");
            assertThat(session.sendForFirstLine("RCPT TO:<bob@far.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            session.write("Subject: " + token + "\r\n\r\nDropped.\r\n.\r\n");
            assertThat(session.closedByPeer()).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> peer.messages().stream().anyMatch(m -> m.contains(token)));
        }
    }

    private static String plain(String user, String password) {
        return base64("\0" + user + "\0" + password);
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
