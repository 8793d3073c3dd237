package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.Test;

class SmtpClientTest {

    private static final Envelope TWO_RECIPIENTS =
            new Envelope("sender@origin.test", List.of("alice@dest.test", "bob@dest.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));

    private static SmtpClient clientFor(FakeSmtpServer server) {
        return new SmtpClient(settingsFor(server.port()).build(), Clock.systemUTC());
    }

    private static DeliverySettings.Builder settingsFor(int port) {
        return DeliverySettings.builder()
                .remotePort(port)
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5));
    }

    // A new client each time, closed after the send so that an idle connection is QUIT as the scripts expect
    private static TransactionResult send(FakeSmtpServer server, Envelope envelope, MessageContent content) {
        try (SmtpClient client = clientFor(server)) {
            return client.send(server.address(), "mx.dest.test", envelope, content);
        }
    }

    @Test
    void deliversToEveryAcceptedRecipient() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO client.test", "250-mx.dest.test", "250-PIPELINING", "250 8BITMIME");
            s.expect("MAIL FROM:<sender@origin.test>", "250 2.1.0 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "250 2.1.5 Ok");
            s.expect("RCPT TO:<bob@dest.test>", "250 2.1.5 Ok");
            s.expect("DATA", "354 End data with <CR><LF>.<CR><LF>");
            s.data();
            s.reply("250 2.0.0 Ok: queued as 4711");
            s.expect("QUIT", "221 2.0.0 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isFalse();
            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED);
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.recipient()).isEqualTo("alice@dest.test");
            assertThat(alice.host()).isEqualTo("mx.dest.test");
            assertThat(alice.address()).isEqualTo("127.0.0.1");
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.END_OF_DATA);
            assertThat(alice.reply().toString()).isEqualTo("250 2.0.0 Ok: queued as 4711");
            assertThat(alice.error()).isNull();
            assertThat(alice.describe())
                    .isEqualTo("mx.dest.test[127.0.0.1] said 250 2.0.0 Ok: queued as 4711 (in reply to end of DATA)");
            assertThat(new String(server.messages().get(0), StandardCharsets.US_ASCII))
                    .isEqualTo("Subject: hi\r\n\r\nHello\r\n.\r\n");
        }
    }

    @Test
    void temporaryRejectionAtRcptConcernsOnlyThatRecipient() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "450-4.2.0 <alice@dest.test>: Greylisted, see",
                    "450 4.2.0 http://postgrey.example/");
            s.expect("RCPT TO:<bob@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isFalse();
            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.RCPT);
            assertThat(alice.reply().code()).isEqualTo(450);
            assertThat(alice.enhancedStatus()).isEqualTo("4.2.0");
            assertThat(alice.describe()).isEqualTo("mx.dest.test[127.0.0.1] said 450 4.2.0 <alice@dest.test>: "
                    + "Greylisted, see http://postgrey.example/ (in reply to RCPT TO)");
            RecipientOutcome bob = result.outcomes().get(1);
            assertThat(bob.status()).isEqualTo(Status.DELIVERED);
            assertThat(bob.attemptStage()).isEqualTo(AttemptStage.END_OF_DATA);
        }
    }

    @Test
    void noDataIsSentWhenEveryRecipientIsRejected() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "550 5.1.1 no such user");
            s.expect("RCPT TO:<bob@dest.test>", "452 4.2.2 mailbox full");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsExactly(Status.PERMANENT, Status.TEMPORARY);
            assertThat(result.outcomes().get(0).describe())
                    .isEqualTo("mx.dest.test[127.0.0.1] said 550 5.1.1 no such user (in reply to RCPT TO)");
            assertThat(result.tryNextHost()).isFalse();
            assertThat(server.commands()).doesNotContain("DATA");
        }
    }

    @Test
    void permanentRejectionAtMailFromAppliesToAllRecipients() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:<sender@origin.test>", "553 5.7.1 sender rejected");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isFalse();
            assertThat(result.outcomes()).allSatisfy(outcome -> {
                assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
                assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.MAIL);
                assertThat(outcome.enhancedStatus()).isEqualTo("5.7.1");
            });
            assertThat(server.commands()).noneMatch(c -> c.startsWith("RCPT"));
        }
    }

    @Test
    void nullReversePathAndSizeAreSentWhenAdvertised() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250-SIZE 10240000", "250 8BITMIME");
            s.expect("MAIL FROM:<> SIZE=" + MESSAGE.size(), "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, new Envelope("", List.of("alice@dest.test")), MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).extracting(RecipientOutcome::status).containsExactly(Status.DELIVERED);
        }
    }

    @Test
    void dataRejectionAppliesToAcceptedRecipientsOnly() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "550 5.1.1 no such user");
            s.expect("RCPT TO:<bob@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("554 5.7.1 message looks like spam");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            RecipientOutcome alice = result.outcomes().get(0);
            RecipientOutcome bob = result.outcomes().get(1);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.RCPT);
            assertThat(alice.reply().text()).isEqualTo("no such user");
            assertThat(bob.status()).isEqualTo(Status.PERMANENT);
            assertThat(bob.attemptStage()).isEqualTo(AttemptStage.END_OF_DATA);
            assertThat(bob.reply().text()).isEqualTo("message looks like spam");
        }
    }

    @Test
    void dotsAtTheStartOfLinesAreDoubledAndAFinalLineBreakIsAdded() throws Exception {
        byte[] message = ".starts with a dot\r\nmiddle\r\n..two dots\r\n.\r\nends without line break"
                .getBytes(StandardCharsets.US_ASCII);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, new Envelope("a@b.test", List.of("alice@dest.test")),
                    MessageContent.ofBytes(message));
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
            assertThat(new String(server.messages().get(0), StandardCharsets.US_ASCII)).isEqualTo(
                    "..starts with a dot\r\nmiddle\r\n...two dots\r\n..\r\nends without line break\r\n.\r\n");
        }
    }

    @Test
    void fallsBackToHeloWhenEhloIsRefused() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 old.dest.test SMTP");
            s.expect("EHLO client.test", "502 5.5.2 Error: command not recognized");
            s.expect("HELO client.test", "250 old.dest.test");
            s.expect("MAIL FROM:<sender@origin.test>", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED);
        }
    }

    @Test
    void serviceNotAvailableGreetingMeansTryTheNextHost() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("421 4.3.2 mx.dest.test too busy, try later");
            s.awaitClientClose();
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes()).allSatisfy(outcome -> {
                assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
                assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.GREETING);
                assertThat(outcome.reply().code()).isEqualTo(421);
            });
            assertThat(server.commands()).as("the server closes after 421, nothing more to say").isEmpty();
        }
    }

    @Test
    void permanentGreetingRejectionAlsoMeansTryTheNextHost() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("554 5.7.1 no SMTP service here");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsOnly(Status.PERMANENT);
        }
    }

    @Test
    void serviceNotAvailableDuringRcptMeansTryTheNextHost() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "250 Ok");
            s.expect("RCPT TO:<bob@dest.test>", "421 4.7.0 shutting down");
            s.awaitClientClose();
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(server.commands()).doesNotContain("QUIT");
            assertThat(result.tryNextHost()).isTrue();
            assertThat(result.outcomes()).allSatisfy(outcome -> {
                assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
                assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.RCPT);
                assertThat(outcome.reply().code()).isEqualTo(421);
            });
        }
    }

    @Test
    void connectionDroppedBeforeTheGreetingMeansTryTheNextHost() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(FakeSmtpServer.Session::drop)) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome outcome = result.outcomes().get(0);
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.GREETING);
            assertThat(outcome.reply()).isNull();
            assertThat(outcome.error()).contains("connection closed");
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.2");
        }
    }

    @Test
    void connectionDroppedWhileSendingTheMessageIsTemporaryForThisHostOnly() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "550 5.1.1 no such user");
            s.expect("RCPT TO:<bob@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.drop();
        })) {
            // big enough that the writes cannot all fit in socket buffers before the close is noticed
            byte[] big = new byte[8 * 1024 * 1024];
            java.util.Arrays.fill(big, (byte) 'x');
            TransactionResult result = send(server, TWO_RECIPIENTS, MessageContent.ofBytes(big));
            server.awaitScripts();

            // a recipient was accepted: a retry belongs to the queue, not to another host right now
            assertThat(result.tryNextHost()).isFalse();
            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.PERMANENT);
            RecipientOutcome bob = result.outcomes().get(1);
            assertThat(bob.status()).isEqualTo(Status.TEMPORARY);
            assertThat(bob.attemptStage()).isIn(AttemptStage.DATA, AttemptStage.END_OF_DATA);
            assertThat(bob.reply()).isNull();
            assertThat(bob.enhancedStatus()).isEqualTo("4.4.2");
        }
    }

    @Test
    void connectionLostAfterTheFinalDotMayHaveDelivered() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.drop();
        })) {
            TransactionResult result = send(server, new Envelope("a@b.test", List.of("alice@dest.test")), MESSAGE);
            server.awaitScripts();

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(result.tryNextHost()).isFalse();
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.END_OF_DATA);
            assertThat(alice.error()).contains("may have been delivered");
            assertThat(alice.enhancedStatus()).isEqualTo("4.4.2");
            assertThat(alice.describe()).startsWith("mx.dest.test[127.0.0.1]: 4.4.2 ");
        }
    }

    @Test
    void silentServerTimesOutAtTheGreeting() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(FakeSmtpServer.Session::awaitClientClose)) {
            SmtpClient client = new SmtpClient(settingsFor(server.port())
                    .greetingTimeout(Duration.ofMillis(300)).build(), Clock.systemUTC());
            TransactionResult result = client.send(server.address(), "mx.dest.test", TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isTrue();
            RecipientOutcome outcome = result.outcomes().get(0);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.GREETING);
            assertThat(outcome.error()).isEqualTo("no reply within 300 ms");
        }
    }

    @Test
    void refusedConnectionMeansTryTheNextHost() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closedPort = probe.getLocalPort();
        }
        SmtpClient client = new SmtpClient(settingsFor(closedPort).build(), Clock.systemUTC());

        TransactionResult result = client.send(InetAddress.getByName("127.0.0.1"), "mx.dest.test",
                TWO_RECIPIENTS, MESSAGE);

        assertThat(result.tryNextHost()).isTrue();
        assertThat(result.outcomes()).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.CONNECT);
            assertThat(outcome.reply()).isNull();
            assertThat(outcome.error()).startsWith("cannot connect");
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
        });
    }

    @Test
    void malformedReplyIsAnErrorNotAnException() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "hello there");
            s.awaitClientClose();
        })) {
            TransactionResult result = send(server, TWO_RECIPIENTS, MESSAGE);
            server.awaitScripts();

            RecipientOutcome outcome = result.outcomes().get(0);
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.EHLO);
            assertThat(outcome.error()).contains("malformed reply");
            assertThat(result.tryNextHost()).isTrue();
        }
    }
}
