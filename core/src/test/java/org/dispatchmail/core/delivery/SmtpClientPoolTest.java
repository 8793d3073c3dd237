package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.Test;

class SmtpClientPoolTest {

    private static final Envelope ENVELOPE = new Envelope("sender@origin.test", List.of("alice@dest.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));

    /** A clock the test moves by hand. */
    private static final class ManualClock extends Clock {
        private volatile Instant now = Instant.parse("2024-05-01T10:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static DeliverySettings.Builder settings() {
        return DeliverySettings.builder()
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5));
    }

    private static SmtpTarget target(FakeSmtpServer server) {
        return new SmtpTarget("mx.dest.test", server.address(), server.port(), TlsRequirement.NONE, Optional.empty());
    }

    private static void hello(FakeSmtpServer.Session s) throws Exception {
        s.reply("220 mx.dest.test ESMTP");
        s.expect("EHLO", "250 mx.dest.test");
    }

    private static void transaction(FakeSmtpServer.Session s) throws Exception {
        s.expect("MAIL FROM:", "250 Ok");
        s.expect("RCPT TO:", "250 Ok");
        s.expect("DATA", "354 go ahead");
        s.data();
        s.reply("250 2.0.0 queued");
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aSecondMessageReusesTheConnectionAfterRset() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("RSET", "250 2.0.0 Ok");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            SmtpClient client = new SmtpClient(settings().build(), Clock.systemUTC());
            TransactionResult first = client.send(target(server), ENVELOPE, MESSAGE);
            TransactionResult second = client.send(target(server), ENVELOPE, MESSAGE);
            assertThat(client.openConnections(target(server))).isEqualTo(1);
            client.close();
            server.awaitScripts();

            assertThat(first.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(second.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(server.clients()).hasSize(1);
            assertThat(client.openConnections(target(server))).isZero();
        }
    }

    @Test
    void anIdleConnectionThatDiedIsReplacedByANewOne() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("RSET");
            s.drop();
        }, s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            try (SmtpClient client = new SmtpClient(settings().build(), Clock.systemUTC())) {
                client.send(target(server), ENVELOPE, MESSAGE);
                TransactionResult second = client.send(target(server), ENVELOPE, MESSAGE);
                assertThat(second.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            }
            server.awaitScripts();
            assertThat(server.clients()).hasSize(2);
        }
    }

    @Test
    void idleConnectionsExpireAndAreQuitOnTheNextBorrow() throws Exception {
        ManualClock clock = new ManualClock();
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        }, s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            try (SmtpClient client = new SmtpClient(settings().connectionIdleTime(Duration.ofSeconds(30)).build(),
                    clock)) {
                client.send(target(server), ENVELOPE, MESSAGE);
                clock.advance(Duration.ofSeconds(30));
                client.send(target(server), ENVELOPE, MESSAGE);
            }
            server.awaitScripts();
            assertThat(server.clients()).hasSize(2);
            assertThat(server.commands()).doesNotContain("RSET");
        }
    }

    @Test
    void aConnectionCarriesAtMostMaxMessagesPerConnection() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        }, s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            try (SmtpClient client = new SmtpClient(settings().maxMessagesPerConnection(1).build(), Clock.systemUTC())) {
                client.send(target(server), ENVELOPE, MESSAGE);
                client.send(target(server), ENVELOPE, MESSAGE);
            }
            server.awaitScripts();
            assertThat(server.clients()).hasSize(2);
        }
    }

    @Test
    void serviceNotAvailableClosesWithoutQuitAndTheConnectionIsNotReused() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            s.expect("MAIL FROM:", "421 4.3.2 Shutting down");
            s.expectClientClose();
        }, s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            try (SmtpClient client = new SmtpClient(settings().build(), Clock.systemUTC())) {
                TransactionResult first = client.send(target(server), ENVELOPE, MESSAGE);
                assertThat(first.tryNextHost()).isTrue();
                assertThat(first.outcomes().get(0).status()).isEqualTo(Status.TEMPORARY);
                assertThat(first.outcomes().get(0).enhancedStatus()).isEqualTo("4.3.2");
                TransactionResult second = client.send(target(server), ENVELOPE, MESSAGE);
                assertThat(second.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            }
            server.awaitScripts();
            assertThat(server.clients()).hasSize(2);
        }
    }

    @Test
    void aSendBeyondTheConnectionLimitIsDeferredAfterWaiting() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        FakeSmtpServer.Script slow = s -> {
            release.await(10, TimeUnit.SECONDS);
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        };
        try (FakeSmtpServer server = FakeSmtpServer.startConcurrent(slow, slow)) {
            SmtpClient client = new SmtpClient(settings().maxConnectionsPerHost(2)
                    .connectionWaitTime(Duration.ofMillis(200)).build(), Clock.systemUTC());
            CompletableFuture<TransactionResult> a = CompletableFuture.supplyAsync(
                    () -> client.send(target(server), ENVELOPE, MESSAGE));
            CompletableFuture<TransactionResult> b = CompletableFuture.supplyAsync(
                    () -> client.send(target(server), ENVELOPE, MESSAGE));
            await(() -> client.openConnections(target(server)) == 2);

            TransactionResult third = client.send(target(server), ENVELOPE, MESSAGE);
            release.countDown();

            assertThat(third.tryNextHost()).isFalse();
            RecipientOutcome outcome = third.outcomes().get(0);
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.5");
            assertThat(outcome.error()).startsWith("too many connections to mx.dest.test[127.0.0.1] from this node");
            assertThat(a.get(10, TimeUnit.SECONDS).outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(b.get(10, TimeUnit.SECONDS).outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            client.close();
            server.awaitScripts();
            assertThat(server.clients()).hasSize(2);
        }
    }

    @Test
    void aSendWaitingForTheLimitTakesTheConnectionThatFreesUp() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            release.await(10, TimeUnit.SECONDS);
            hello(s);
            transaction(s);
            s.expect("RSET", "250 Ok");
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            SmtpClient client = new SmtpClient(settings().maxConnectionsPerHost(1)
                    .connectionWaitTime(Duration.ofSeconds(10)).build(), Clock.systemUTC());
            CompletableFuture<TransactionResult> first = CompletableFuture.supplyAsync(
                    () -> client.send(target(server), ENVELOPE, MESSAGE));
            await(() -> client.openConnections(target(server)) == 1);
            CompletableFuture<TransactionResult> second = CompletableFuture.supplyAsync(
                    () -> client.send(target(server), ENVELOPE, MESSAGE));
            await(() -> client.waitingFor(target(server)) == 1);
            release.countDown();

            assertThat(first.get(10, TimeUnit.SECONDS).outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(second.get(10, TimeUnit.SECONDS).outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            client.close();
            server.awaitScripts();
            assertThat(server.clients()).hasSize(1);
        }
    }

    private static SmtpTarget target(FakeSmtpServer server, TlsRequirement requirement) {
        return new SmtpTarget("mx.dest.test", server.address(), server.port(), requirement, Optional.empty());
    }

    @Test
    void anIdleSessionIsNeverReusedUnderAnotherTlsRequirementAndGivesUpItsSlotAtTheAddress() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        }, s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            SmtpClient client = new SmtpClient(settings().maxConnectionsPerHost(1).build(), Clock.systemUTC());
            SmtpTarget plain = target(server, TlsRequirement.NONE);
            // the server offers no STARTTLS, so the opportunistic session goes on in plain text too
            SmtpTarget opportunistic = target(server, TlsRequirement.OPPORTUNISTIC);

            TransactionResult first = client.send(plain, ENVELOPE, MESSAGE);
            TransactionResult second = client.send(opportunistic, ENVELOPE, MESSAGE);
            // one slot at the address: the idle plain session was quit to make room, not reused
            assertThat(client.openConnections(opportunistic)).isEqualTo(1);
            client.close();
            server.awaitScripts();

            assertThat(first.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(second.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(server.clients()).hasSize(2);
            assertThat(server.commands()).doesNotContain("RSET");
        }
    }

    @Test
    void theConnectionLimitOfAnAddressIsSharedByEveryTlsRequirement() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            release.await(10, TimeUnit.SECONDS);
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            SmtpClient client = new SmtpClient(settings().maxConnectionsPerHost(1)
                    .connectionWaitTime(Duration.ofMillis(200)).build(), Clock.systemUTC());
            CompletableFuture<TransactionResult> busy = CompletableFuture.supplyAsync(
                    () -> client.send(target(server, TlsRequirement.NONE), ENVELOPE, MESSAGE));
            await(() -> client.openConnections(target(server)) == 1);

            TransactionResult other = client.send(target(server, TlsRequirement.VERIFIED), ENVELOPE, MESSAGE);
            release.countDown();

            assertThat(other.outcomes().get(0).status()).isEqualTo(Status.TEMPORARY);
            assertThat(other.outcomes().get(0).enhancedStatus()).isEqualTo("4.4.5");
            assertThat(busy.get(10, TimeUnit.SECONDS).outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            client.close();
            server.awaitScripts();
            assertThat(server.clients()).hasSize(1);
        }
    }

    @Test
    void connectionsComeFromTheConfiguredSourceAddress() throws Exception {
        InetAddress source = InetAddress.getByName("127.0.0.2");
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            hello(s);
            transaction(s);
            s.expect("QUIT", "221 Bye");
        })) {
            try (SmtpClient client = new SmtpClient(settings()
                    .sourceAddresses(List.of(source, InetAddress.getByName("::1"))).build(), Clock.systemUTC())) {
                client.send(target(server), ENVELOPE, MESSAGE);
            }
            server.awaitScripts();
            assertThat(server.clients()).containsExactly(source);
        }
    }
}
