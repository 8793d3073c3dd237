package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.junit.jupiter.api.Test;

class RecipientOutcomeTest {

    @Test
    void replyOutcomeTakesItsStatusFromTheReplyCode() {
        SmtpReply reply = SmtpReply.parse(List.of("550 5.1.1 no such user"));

        RecipientOutcome outcome = RecipientOutcome.fromReply("a@x.test", "mx.x.test", "192.0.2.1", AttemptStage.RCPT, reply);

        assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
        assertThat(outcome.enhancedStatus()).isEqualTo("5.1.1");
        assertThat(outcome.describe())
                .isEqualTo("mx.x.test[192.0.2.1] said 550 5.1.1 no such user (in reply to RCPT TO)");
    }

    @Test
    void replyWithoutEnhancedCodeGetsAGenericOne() {
        SmtpReply reply = SmtpReply.parse(List.of("451 try later"));

        RecipientOutcome outcome = RecipientOutcome.fromReply("a@x.test", "mx.x.test", "192.0.2.1", AttemptStage.MAIL, reply);

        assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
        assertThat(outcome.enhancedStatus()).isEqualTo("4.0.0");
    }

    @Test
    void unexpectedReplyIsTemporaryWithAnExplanation() {
        SmtpReply reply = SmtpReply.parse(List.of("250 2.0.0 fine"));

        RecipientOutcome outcome = RecipientOutcome.fromUnexpectedReply("a@x.test", "mx.x.test", "192.0.2.1",
                AttemptStage.DATA, reply);

        assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
        assertThat(outcome.enhancedStatus()).isEqualTo("4.5.0");
        assertThat(outcome.describe()).isEqualTo(
                "mx.x.test[192.0.2.1] said 250 2.0.0 fine (in reply to DATA): unexpected reply code 250");
    }

    @Test
    void dnsOutcomeCarriesASynthesizedStatus() {
        RecipientOutcome outcome = RecipientOutcome.failure("a@x.test", AttemptStage.DNS, FailureKind.NULL_MX,
                "x.test publishes a null MX: it accepts no mail");

        assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
        assertThat(outcome.serverReply()).isEmpty();
        assertThat(outcome.hostName()).isEmpty();
        assertThat(outcome.enhancedStatus()).isEqualTo("5.1.10");
        assertThat(outcome.describe()).isEqualTo(
                "5.1.10 x.test publishes a null MX: it accepts no mail (while looking up the mail servers)");
    }
}
