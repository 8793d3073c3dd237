package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.core.routing.MxResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MxDelivererTest {

    private static final Envelope ENVELOPE =
            new Envelope("sender@origin.test", List.of("alice@fallback.test", "bob@fallback.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));

    private static DnsmasqServer dns;
    private static int deadDnsPort;

    @BeforeAll
    static void startDns() throws Exception {
        deadDnsPort = DnsmasqServer.freePort();
        // The fake SMTP server listens on 127.0.0.1 only, so the same port on 127.0.0.2 refuses connections.
        dns = DnsmasqServer.start(List.of(
                "--mx-host=fallback.test,down.fallback.test,10",
                "--mx-host=fallback.test,up.fallback.test,20",
                "--host-record=down.fallback.test,127.0.0.2",
                "--host-record=up.fallback.test,127.0.0.1",
                "--mx-host=alldown.test,down.fallback.test,10",
                "--mx-host=alldown.test,down2.alldown.test,20",
                "--host-record=down2.alldown.test,127.0.0.3",
                "--mx-host=first.test,up.fallback.test,10",
                "--mx-host=first.test,never.first.test,20",
                "--host-record=never.first.test,127.0.0.4",
                "--mx-host=nomail.test,.,0"));
    }

    @AfterAll
    static void stopDns() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    private static MxDeliverer delivererFor(int smtpPort, String... dnsServers) {
        DeliverySettings settings = DeliverySettings.builder()
                .remotePort(smtpPort)
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .build();
        List<String> servers = dnsServers.length == 0 ? List.of(dns.address()) : List.of(dnsServers);
        return new MxDeliverer(new MxResolver(servers, Duration.ofSeconds(1)), new SmtpClient(settings), settings);
    }

    private static FakeSmtpServer.Script acceptingEverything() {
        return s -> {
            s.reply("220 up.fallback.test ESMTP");
            s.expect("EHLO", "250 up.fallback.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 2.0.0 queued");
            s.expect("QUIT", "221 Bye");
        };
    }

    private static int closedPort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }

    @Test
    void fallsBackToTheNextMxWhenTheFirstRefusesConnections() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(acceptingEverything())) {
            List<RecipientOutcome> outcomes = delivererFor(server.port()).deliver("fallback.test", ENVELOPE, MESSAGE);
            server.awaitScripts();

            assertThat(outcomes).extracting(RecipientOutcome::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED);
            assertThat(outcomes).extracting(RecipientOutcome::recipient)
                    .containsExactly("alice@fallback.test", "bob@fallback.test");
            assertThat(outcomes.get(0).host()).isEqualTo("up.fallback.test");
            assertThat(outcomes.get(0).address()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void stopsAtTheFirstHostThatDecides() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 up.fallback.test ESMTP");
            s.expect("EHLO", "250 up.fallback.test");
            s.expect("MAIL FROM:", "451 4.3.0 try again later");
            s.expect("QUIT", "221 Bye");
        })) {
            List<RecipientOutcome> outcomes = delivererFor(server.port()).deliver("first.test", ENVELOPE, MESSAGE);
            server.awaitScripts();

            // a 451 is about this message, so never.first.test (127.0.0.4, nothing listening) is not tried
            assertThat(outcomes).allSatisfy(outcome -> {
                assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
                assertThat(outcome.host()).isEqualTo("up.fallback.test");
                assertThat(outcome.stage()).isEqualTo("mail");
            });
        }
    }

    @Test
    void whenEveryHostFailsTheLastOneTellsTheStory() throws Exception {
        List<RecipientOutcome> outcomes = delivererFor(closedPort()).deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.stage()).isEqualTo("connect");
            assertThat(outcome.host()).isEqualTo("down2.alldown.test");
            assertThat(outcome.address()).isEqualTo("127.0.0.3");
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
        });
    }

    @Test
    void maxMxHostsLimitsTheHostsTried() throws Exception {
        DeliverySettings settings = DeliverySettings.builder()
                .remotePort(closedPort())
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .maxMxHosts(1)
                .build();
        MxDeliverer deliverer = new MxDeliverer(new MxResolver(List.of(dns.address()), Duration.ofSeconds(1)),
                new SmtpClient(settings), settings);

        List<RecipientOutcome> outcomes = deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).extracting(RecipientOutcome::host).containsOnly("down.fallback.test");
    }

    @Test
    void nullMxBouncesEveryRecipient() throws Exception {
        List<RecipientOutcome> outcomes = delivererFor(closedPort()).deliver("nomail.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
            assertThat(outcome.stage()).isEqualTo("dns");
            assertThat(outcome.host()).isNull();
            assertThat(outcome.reply()).isNull();
            assertThat(outcome.enhancedStatus()).isEqualTo("5.1.10");
            assertThat(outcome.describe()).contains("5.1.10").contains("null MX");
        });
    }

    @Test
    void nonExistentDomainBouncesEveryRecipient() throws Exception {
        List<RecipientOutcome> outcomes = delivererFor(closedPort()).deliver("nowhere.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
            assertThat(outcome.enhancedStatus()).isEqualTo("5.1.2");
            assertThat(outcome.describe()).contains("5.1.2").contains("nowhere.test");
        });
    }

    @Test
    void dnsFailureIsTemporary() throws Exception {
        List<RecipientOutcome> outcomes = delivererFor(closedPort(), "127.0.0.1:" + deadDnsPort)
                .deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.stage()).isEqualTo("dns");
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.3");
            assertThat(outcome.error()).contains("fallback.test");
        });
    }
}
