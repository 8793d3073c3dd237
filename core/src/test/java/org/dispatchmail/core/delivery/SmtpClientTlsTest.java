package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.routing.TlsPolicy;
import org.dispatchmail.core.routing.SmtpCredentials;
import org.dispatchmail.core.testing.TestPki;

class SmtpClientTlsTest {
    private static final String TLS_HOST = "mx.dest.test";

    private static final Envelope ENVELOPE = new Envelope("sender@origin.test", List.of("alice@dest.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
    private static final String VERIFIED = "TLSv1\\.[23] \\S+ verified";
    private static final String UNVERIFIED = "TLSv1\\.[23] \\S+ unverified";

    private static TestPki pki;

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = TestPki.forHost(TLS_HOST);
    }

    private static SmtpClient client() {
        return new SmtpClient(DeliverySettings.builder()
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5))
                .trustStore(pki.trustStore())
                .build(), Clock.systemUTC());
    }

    private static SmtpTarget target(FakeSmtpServer server, String host, TlsPolicy policy) {
        return new SmtpTarget(host, server.address(), server.port(), TlsRequirement.configured(policy),
                Optional.empty());
    }

    private static SmtpTarget target(FakeSmtpServer server, TlsPolicy policy, SmtpCredentials credentials) {
        return new SmtpTarget(TLS_HOST, server.address(), server.port(), TlsRequirement.configured(policy),
                Optional.of(credentials));
    }

    private static TransactionResult send(SmtpTarget target) {
        try (SmtpClient client = client()) {
            return client.send(target, ENVELOPE, MESSAGE);
        }
    }

    /** Greeting, EHLO offering STARTTLS, the handshake with {@code context}, EHLO again with {@code extensions}. */
    private static void startTls(FakeSmtpServer.Session s, javax.net.ssl.SSLContext context, String... extensions)
            throws IOException {
        s.reply("220 mx.dest.test ESMTP");
        s.expect("EHLO client.test", "250-mx.dest.test", "250-PIPELINING", "250 STARTTLS");
        s.expect("STARTTLS", "220 2.0.0 Ready to start TLS");
        s.startTls(context);
        String[] reply = new String[extensions.length + 1];
        reply[0] = extensions.length == 0 ? "250 mx.dest.test" : "250-mx.dest.test";
        for (int i = 0; i < extensions.length; i++) {
            reply[i + 1] = (i == extensions.length - 1 ? "250 " : "250-") + extensions[i];
        }
        s.expect("EHLO client.test", reply);
    }

    private static void transaction(FakeSmtpServer.Session s) throws IOException {
        s.expect("MAIL FROM:<sender@origin.test>", "250 2.1.0 Ok");
        s.expect("RCPT TO:<alice@dest.test>", "250 2.1.5 Ok");
        s.expect("DATA", "354 go ahead");
        s.data();
        s.reply("250 2.0.0 queued");
    }

    /** The server side of a handshake the client is expected to abort. */
    private static void failingHandshake(FakeSmtpServer.Session s, javax.net.ssl.SSLContext context) {
        try {
            s.startTls(context);
            throw new AssertionError("the client completed a handshake it should have refused");
        } catch (IOException expected) {
            // the client rejected the certificate
        }
    }

    @Test
    void opportunisticTlsAcceptsASelfSignedCertificateAndSaysItIsUnverified() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.selfSignedServer(), "8BITMIME");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.OPPORTUNISTIC));
            server.awaitScripts();

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.DELIVERED);
            assertThat(alice.tls()).hasValueSatisfying(tls -> assertThat(tls).matches(UNVERIFIED));
            assertThat(alice.describe()).endsWith("[" + alice.tls().orElseThrow() + "]");
            // the extensions of the plain-text EHLO are forgotten: PIPELINING was only offered before TLS
            assertThat(server.commands()).containsSubsequence("STARTTLS", "EHLO client.test", "MAIL FROM:<sender@origin.test>");
        }
    }

    @Test
    void requiredTlsDeliversWithACertificateThatIsTrustedAndNamesTheHost() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.caSignedServer());
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.REQUIRED));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(result.outcomes().get(0).tls()).hasValueSatisfying(tls -> assertThat(tls).matches(VERIFIED));
        }
    }

    @Test
    void requiredTlsRefusesAnUntrustedCertificate() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 STARTTLS");
            s.expect("STARTTLS", "220 Ready");
            failingHandshake(s, pki.selfSignedServer());
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.REQUIRED));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.5");
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.STARTTLS);
            assertThat(alice.error()).startsWith("certificate not trusted (CN=mx.dest.test)");
            assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
        }
    }

    @Test
    void requiredTlsRefusesATrustedCertificateForAnotherName() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 other.dest.test ESMTP");
            s.expect("EHLO", "250-other.dest.test", "250 STARTTLS");
            s.expect("STARTTLS", "220 Ready");
            failingHandshake(s, pki.caSignedServer());
        })) {
            TransactionResult result = send(target(server, "other.dest.test", TlsPolicy.REQUIRED));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.5");
            assertThat(alice.error()).startsWith("certificate does not match host name other.dest.test");
        }
    }

    @Test
    void requiredTlsIsATemporaryFailureWhenStartTlsIsNotOffered() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 PIPELINING");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.REQUIRED));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("4.7.4");
            assertThat(result.outcomes().get(0).error()).contains("does not offer STARTTLS");
        }
    }

    @Test
    void opportunisticTlsRetriesOnceInPlainTextWhenTheHandshakeFails() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 STARTTLS");
            s.expect("STARTTLS", "220 Ready");
            s.drop();
        }, s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 STARTTLS");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.OPPORTUNISTIC));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(result.outcomes().get(0).tls()).isEmpty();
            assertThat(server.clients()).hasSize(2);
        }
    }

    @Test
    void encryptOnlyAcceptsAnUntrustedCertificateButInsistsOnTls() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.selfSignedServer());
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(new SmtpTarget(TLS_HOST, server.address(), server.port(),
                    TlsRequirement.ENCRYPTED, Optional.empty()));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(result.outcomes().get(0).tls()).hasValueSatisfying(tls -> assertThat(tls).matches(UNVERIFIED));
        }
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 PIPELINING");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(new SmtpTarget(TLS_HOST, server.address(), server.port(),
                    TlsRequirement.ENCRYPTED, Optional.empty()));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("4.7.4");
        }
    }

    @Test
    void aRequirementThatTlsBeEstablishedNeverRetriesInPlainTextAfterAFailedHandshake() throws Exception {
        for (TlsRequirement requirement : List.of(TlsRequirement.VERIFIED, TlsRequirement.ENCRYPTED)) {
            try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
                s.reply("220 mx.dest.test ESMTP");
                s.expect("EHLO", "250-mx.dest.test", "250 STARTTLS");
                s.expect("STARTTLS", "220 Ready");
                s.drop();
            })) {
                TransactionResult result = send(new SmtpTarget(TLS_HOST, server.address(), server.port(),
                        requirement, Optional.empty()));
                server.awaitScripts();

                assertThat(result.outcomes().get(0).status()).as("%s", requirement)
                        .isEqualTo(Status.TEMPORARY);
                assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("4.7.5");
                assertThat(server.clients()).as("%s: no second, plain-text connection", requirement).hasSize(1);
                assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
            }
        }
    }

    @Test
    void implicitTlsStartsWithTheHandshake() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.startTls(pki.caSignedServer());
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO client.test", "250 mx.dest.test");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.IMPLICIT));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(result.outcomes().get(0).tls()).hasValueSatisfying(tls -> assertThat(tls).matches(VERIFIED));
        }
    }

    @Test
    void implicitTlsRefusesAnUntrustedCertificate() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> failingHandshake(s, pki.selfSignedServer()))) {
            TransactionResult result = send(target(server, TLS_HOST, TlsPolicy.IMPLICIT));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("4.7.5");
            assertThat(result.outcomes().get(0).error()).startsWith("certificate not trusted");
        }
    }

    @Test
    void authPlainIsPreferredOverTls() throws Exception {
        String response = Base64.getEncoder().encodeToString("\0relay-user\0s3cret".getBytes(StandardCharsets.UTF_8));
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.caSignedServer(), "AUTH LOGIN PLAIN");
            s.expect("AUTH PLAIN " + response, "235 2.7.0 Authentication successful");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TlsPolicy.REQUIRED,
                    new SmtpCredentials("relay-user", "s3cret")));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(server.commands()).contains("AUTH PLAIN " + response);
        }
    }

    @Test
    void authLoginWhenPlainIsNotOffered() throws Exception {
        Base64.Encoder b64 = Base64.getEncoder();
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.caSignedServer(), "AUTH=LOGIN");
            s.expect("AUTH LOGIN", "334 VXNlcm5hbWU6");
            s.expect(b64.encodeToString("relay-user".getBytes(StandardCharsets.UTF_8)), "334 UGFzc3dvcmQ6");
            s.expect(b64.encodeToString("s3cret".getBytes(StandardCharsets.UTF_8)), "235 2.7.0 Ok");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TlsPolicy.OPPORTUNISTIC,
                    new SmtpCredentials("relay-user", "s3cret")));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
        }
    }

    @Test
    void credentialsAreNeverSentWithoutTls() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 AUTH PLAIN LOGIN");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TlsPolicy.NONE, new SmtpCredentials("relay-user", "s3cret")));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.10");
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.AUTH);
            assertThat(server.commands()).noneMatch(c -> c.startsWith("AUTH"));
        }
    }

    @Test
    void refusedLoginKeepsTheMailAndSaysWhy() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            startTls(s, pki.caSignedServer(), "AUTH PLAIN");
            s.expect("AUTH PLAIN ", "535 5.7.8 Authentication credentials invalid");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(target(server, TlsPolicy.REQUIRED,
                    new SmtpCredentials("relay-user", "wrong")));
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.enhancedStatus()).isEqualTo("4.7.8");
            assertThat(alice.error()).contains("relay-user").contains("535 5.7.8 Authentication credentials invalid");
            assertThat(alice.tls()).hasValueSatisfying(tls -> assertThat(tls).matches(VERIFIED));
        }
    }
}
