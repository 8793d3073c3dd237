package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.Test;

/**
 * delivery.transactionTimeout against servers that keep every per-step timeout happy by sending a byte now and
 * then: the delivery still ends at the deadline, as a temporary failure that says so.
 */
class TransactionDeadlineTest {

    private static final Duration DEADLINE = Duration.ofMillis(1500);
    private static final Envelope ENVELOPE = new Envelope("sender@origin.test", List.of("alice@dest.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));

    private static SmtpClient client(FakeSmtpServer server) {
        // every step may take 5 s, far longer than the whole transaction may
        return new SmtpClient(DeliverySettings.builder().remotePort(server.port()).heloName("client.test")
                .connectTimeout(Duration.ofSeconds(5)).greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5)).dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5)).transactionTimeout(DEADLINE).build(), Clock.systemUTC());
    }

    /** Sends {@code text} a byte every 200 ms (each well within the step timeouts) until the client hangs up. */
    private static void dribble(FakeSmtpServer.Session session, String text) throws InterruptedException {
        try {
            for (char c : text.toCharArray()) {
                session.send(String.valueOf(c));
                Thread.sleep(200);
            }
        } catch (IOException clientHungUp) {
            // what the deadline is for
        }
    }

    @Test
    void aGreetingSentAByteAtATimeEndsAtTheDeadlineAsATemporaryFailure() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> dribble(s, "220 mx.dest.test a very slow ESMTP greeting"));
             SmtpClient client = client(server)) {
            long started = System.nanoTime();
            TransactionResult result = client.send(server.address(), "mx.dest.test", ENVELOPE, MESSAGE);
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.GREETING);
            assertThat(alice.failureKind()).contains(FailureKind.CONNECTION_LOST);
            assertThat(alice.error()).isEqualTo("transaction deadline of 1500 ms exceeded");
            assertThat(result.tryNextHost()).as("the server is the problem: another MX may do better").isTrue();
            // the timer may fire a fraction of a millisecond before this thread's nanoTime says 1500 ms (seen: 1499.8);
            // the greeting alone would take over 8 s, so ending near 1.5 s is the deadline at work
            assertThat(took).isGreaterThanOrEqualTo(DEADLINE.minusMillis(20)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void aReplyToTheDataThatNeverEndsEndsAtTheDeadlineAndSaysTheMessageMayHaveArrived() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go on");
            s.data();
            dribble(s, "250 2.0.0 queued, after a long while indeed");
        });
             SmtpClient client = client(server)) {
            long started = System.nanoTime();
            TransactionResult result = client.send(server.address(), "mx.dest.test", ENVELOPE, MESSAGE);
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.END_OF_DATA);
            assertThat(alice.enhancedStatus()).isEqualTo("4.4.2");
            assertThat(alice.error()).isEqualTo("transaction deadline of 1500 ms exceeded; the message may have been"
                    + " delivered");
            assertThat(result.tryNextHost()).isFalse();
            assertThat(server.messages()).hasSize(1);
            assertThat(took).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void aServerThatNeverAnswersTheDataCommandIsLeftAtTheDeadline() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 PIPELINING");
            s.command();
            s.command();
            s.command();
            s.awaitClientClose();
        });
             SmtpClient client = client(server)) {
            TransactionResult result = client.send(server.address(), "mx.dest.test", ENVELOPE, MESSAGE);

            RecipientOutcome alice = result.outcomes().get(0);
            assertThat(alice.status()).isEqualTo(Status.TEMPORARY);
            assertThat(alice.attemptStage()).isEqualTo(AttemptStage.MAIL);
            assertThat(alice.error()).isEqualTo("transaction deadline of 1500 ms exceeded");
            assertThat(server.commands()).containsExactly("EHLO client.test", "MAIL FROM:<sender@origin.test>",
                    "RCPT TO:<alice@dest.test>", "DATA");
        }
    }
}
