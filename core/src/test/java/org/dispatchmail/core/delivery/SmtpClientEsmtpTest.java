package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.Test;

class SmtpClientEsmtpTest {

    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
    private static final Envelope TWO = new Envelope("sender@origin.test", List.of("alice@dest.test", "bob@dest.test"));

    private static TransactionResult send(FakeSmtpServer server, Envelope envelope, MessageContent content) {
        try (SmtpClient client = new SmtpClient(DeliverySettings.builder()
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .dataBlockTimeout(Duration.ofSeconds(5))
                .finalDotTimeout(Duration.ofSeconds(5))
                .build(), Clock.systemUTC())) {
            return client.send(new SmtpTarget("mx.dest.test", server.address(), server.port(), TlsRequirement.NONE,
                    Optional.empty()), envelope, content);
        }
    }

    @Test
    void withPipeliningTheCommandsUpToDataGoOutBeforeAnyReply() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 PIPELINING");
            // a lockstep client would wait for the MAIL reply here and the script would time out
            List<String> batch = List.of(s.command(), s.command(), s.command(), s.command());
            if (!batch.equals(List.of("MAIL FROM:<sender@origin.test>", "RCPT TO:<alice@dest.test>",
                    "RCPT TO:<bob@dest.test>", "DATA"))) {
                throw new AssertionError("unexpected batch: " + batch);
            }
            s.reply("250 2.1.0 Ok", "550 5.1.1 <alice@dest.test>: no such user", "250 2.1.5 Ok", "354 go ahead");
            s.data();
            s.reply("250 2.0.0 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsExactly(Status.PERMANENT, Status.DELIVERED);
            assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("5.1.1");
            assertThat(result.outcomes().get(0).attemptStage()).isEqualTo(AttemptStage.RCPT);
            assertThat(result.outcomes().get(1).reply().toString()).isEqualTo("250 2.0.0 queued");
        }
    }

    @Test
    void withPipeliningARefusedMailFromDecidesEveryoneAndNoDataIsSent() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 PIPELINING");
            s.command();
            s.command();
            s.command();
            s.command();
            s.reply("550 5.7.1 sender refused", "503 5.5.1 no MAIL", "503 5.5.1 no MAIL", "554 5.5.1 no recipients");
            s.expect("RSET", "250 Ok");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).allSatisfy(o -> {
                assertThat(o.status()).isEqualTo(Status.PERMANENT);
                assertThat(o.enhancedStatus()).isEqualTo("5.7.1");
                assertThat(o.attemptStage()).isEqualTo(AttemptStage.MAIL);
            });
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void aMessageLargerThanTheServerAllowsIsRefusedWithoutSendingIt() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 SIZE 10");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isFalse();
            assertThat(result.outcomes()).allSatisfy(o -> {
                assertThat(o.status()).isEqualTo(Status.PERMANENT);
                assertThat(o.enhancedStatus()).isEqualTo("5.3.4");
                assertThat(o.error()).startsWith("message too large for mx.dest.test (10 bytes max");
            });
            assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
        }
    }

    @Test
    void nonAsciiAddressesNeedSmtpUtf8() throws Exception {
        Envelope utf8 = new Envelope("sender@origin.test", List.of("jörg@dest.test"));
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 8BITMIME");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, utf8, MESSAGE);
            server.awaitScripts();

            assertThat(result.tryNextHost()).isFalse();
            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.PERMANENT);
            assertThat(result.outcomes().get(0).enhancedStatus()).isEqualTo("5.6.7");
            assertThat(server.commands()).noneMatch(c -> c.startsWith("MAIL"));
        }
    }

    @Test
    void smtpUtf8AndEightBitBodyAreDeclaredWhenOffered() throws Exception {
        Envelope utf8 = new Envelope("sender@origin.test", List.of("jörg@dest.test"));
        MessageContent eightBit = MessageContent.ofBytes("Subject: é\r\n\r\nGrüße\r\n".getBytes(StandardCharsets.UTF_8));
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250-SMTPUTF8", "250 8BITMIME");
            s.expect("MAIL FROM:<sender@origin.test> BODY=8BITMIME SMTPUTF8", "250 Ok");
            s.expect("RCPT TO:<jörg@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, utf8, eightBit);
            server.awaitScripts();

            assertThat(result.outcomes().get(0).status()).isEqualTo(Status.DELIVERED);
        }
    }

    @Test
    void eightBitMessageGoesOutUnchangedWhenTheServerDoesNotOffer8BitMime() throws Exception {
        byte[] bytes = "Subject: x\r\n\r\nGrüße\r\n".getBytes(StandardCharsets.UTF_8);
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:<sender@origin.test>", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            send(server, new Envelope("sender@origin.test", List.of("alice@dest.test")), MessageContent.ofBytes(bytes));
            server.awaitScripts();

            assertThat(server.commands()).contains("MAIL FROM:<sender@origin.test>");
            assertThat(new String(server.messages().get(0), StandardCharsets.UTF_8)).isEqualTo("Subject: x\r\n\r\nGrüße\r\n.\r\n");
        }
    }

    private static Envelope dsnEnvelope() {
        return new Envelope("sender@origin.test", List.of("alice@dest.test", "bob@dest.test"),
                new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("id+1=x")),
                List.of(new RecipientDsn(EnumSet.of(DsnNotify.SUCCESS, DsnNotify.FAILURE),
                                Optional.of("rfc822;alice+tag@dest.test")),
                        RecipientDsn.NONE));
    }

    @Test
    void dsnParametersArePassedOnWhenTheServerOffersDsn() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250-mx.dest.test", "250 DSN");
            s.expect("MAIL FROM:<sender@origin.test> RET=HDRS ENVID=id+2B1+3Dx", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice+2Btag@dest.test", "250 Ok");
            s.expect("RCPT TO:<bob@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, dsnEnvelope(), MESSAGE);
            server.awaitScripts();

            assertThat(server.commands()).contains("RCPT TO:<bob@dest.test>");
            assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED);
        }
    }

    @Test
    void dsnParametersAreLeftOutWhenTheServerDoesNotOfferDsn() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            send(server, dsnEnvelope(), MESSAGE);
            server.awaitScripts();

            assertThat(server.commands()).contains("MAIL FROM:<sender@origin.test>", "RCPT TO:<alice@dest.test>",
                    "RCPT TO:<bob@dest.test>");
        }
    }

    @Test
    void tooManyRecipientsSplitsTheMessageIntoTransactionsOnOneConnection() throws Exception {
        Envelope three = new Envelope("sender@origin.test", List.of("a@dest.test", "b@dest.test", "c@dest.test"));
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<a@dest.test>", "250 Ok");
            s.expect("RCPT TO:<b@dest.test>", "452 4.5.3 Too many recipients");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued as 1");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<b@dest.test>", "250 Ok");
            s.expect("RCPT TO:<c@dest.test>", "452 Too many recipients for this message");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued as 2");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<c@dest.test>", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 queued as 3");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, three, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).extracting(o -> o.reply().toString())
                    .containsExactly("250 queued as 1", "250 queued as 2", "250 queued as 3");
            assertThat(server.clients()).hasSize(1);
            assertThat(server.messages()).hasSize(3);
            assertThat(server.commands()).doesNotContain("RSET");
        }
    }

    @Test
    void tooManyRecipientsForTheFirstRecipientDefersTheRest() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 mx.dest.test ESMTP");
            s.expect("EHLO", "250 mx.dest.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:<alice@dest.test>", "452 4.5.3 Too many recipients");
            s.expect("RSET", "250 Ok");
            s.expect("QUIT", "221 Bye");
        })) {
            TransactionResult result = send(server, TWO, MESSAGE);
            server.awaitScripts();

            assertThat(result.outcomes()).allSatisfy(o -> {
                assertThat(o.status()).isEqualTo(Status.TEMPORARY);
                assertThat(o.enhancedStatus()).isEqualTo("4.5.3");
            });
            assertThat(server.messages()).isEmpty();
        }
    }
}
