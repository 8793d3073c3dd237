package org.dispatchmail.core.retry;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GreylistDetectorTest {
    private final GreylistDetector detector = new GreylistDetector();

    private static RecipientOutcome rcptReply(String... lines) {
        return RecipientOutcome.fromReply("rcpt@example.net", "mx.example.net", "192.0.2.25",
            AttemptStage.RCPT, SmtpReply.parse(List.of(lines)));
    }

    private Optional<GreylistSignal> detect(String... lines) {
        return detector.detect(rcptReply(lines));
    }

    // Replies seen in the wild: postgrey, greyfix, qmail, rspamd, Stalwart, freenet, James, Mimecast, sqlgrey.
    @ParameterizedTest
    @ValueSource(strings = {
        "450 4.2.0 <rcpt@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html",
        "450 4.7.1 <rcpt@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html",
        "451 4.7.1 greylisting, please try again later",
        "451 4.7.1 Service unavailable - try again later",
        "451 4.7.1 Try again later",
        "451 4.3.0 Greylisting in progress",
        "457 Greylisted, please come back later.",
        "451 Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451 [V1X4ES abPxKDmn8czHBhOQ.uk246]",
        "451 4.7.1 Sender address is not yet authorized to deliver mail from <a@example.org> to <rcpt@example.net>. Please try later.",
        "452 4.2.2 Greylisted, please try again in a few moments.",
        "451 4.4.3 Temporary rejected: Please try again later",
        "451 4.4.3 Temporary rejected: Reconnect to fast. Please try again later",
        "450 Grey-listed: come back later",
        "421 4.7.0 Greylisted, try again later",
    })
    void recognisesGreylistingWithoutAHint(String reply) {
        Optional<GreylistSignal> signal = detect(reply);

        assertThat(signal).isPresent();
        assertThat(signal.get().hintedDelay()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "450 4.7.1 <rcpt@example.net>: Recipient address rejected: Greylisted by greyfix 0.4.0, try again in 30 seconds.|30",
        "451 Greylisted, please try again in 900 seconds|900",
        "451 Greylisting in action, please come back in 120 seconds|120",
        "451 4.7.1 Greylisted, try again in 5 minutes|300",
        "450 4.2.0 greylisted, retry in 2m|120",
        "451 4.7.1 Greylisting: try again in 30 s|30",
        "450 Greylisted for 300 seconds|300",
        "451 4.7.1 Please try again in 300 seconds|300",
    })
    void readsTheHintedDelay(String reply, long seconds) {
        assertThat(detect(reply)).hasValueSatisfying(
            s -> assertThat(s.hintedDelay()).contains(Duration.ofSeconds(seconds)));
    }

    @Test
    void hintsAreBoundedToTenSecondsAndThirtyMinutes() {
        assertThat(detect("451 4.7.1 Greylisted, try again in 1 seconds").get().hintedDelay())
            .contains(Duration.ofSeconds(10));
        assertThat(detect("451 4.7.1 Greylisted, try again in 0 s").get().hintedDelay())
            .contains(Duration.ofSeconds(10));
        assertThat(detect("451 4.7.1 Greylisted, come back in 2 hours").get().hintedDelay())
            .contains(Duration.ofMinutes(30));
        assertThat(detect("451 Greylisted, please try again in 86400 seconds").get().hintedDelay())
            .contains(Duration.ofMinutes(30));
    }

    @Test
    void readsTheWholeMultilineReply() {
        assertThat(detect("451-4.7.1 Your message was deferred.", "451 4.7.1 Greylisted, please retry in 60 seconds"))
            .hasValueSatisfying(s -> assertThat(s.hintedDelay()).contains(Duration.ofSeconds(60)));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "452 4.5.3 Too many recipients",
        "452 4.5.3 Error: too many recipients, try again later",
        "452 4.2.2 Mailbox full",
        "452 4.2.2 <rcpt@example.net>: user is over quota, try again later",
        "452 4.2.2 try again later",
        "450 4.2.2 Mailbox is full, please try again later",
        "452 4.3.1 Insufficient system storage",
        "421 4.3.2 Service shutting down",
        "421 4.7.0 Try again later, closing connection",
        "421 mx.example.net Service not available, closing transmission channel",
        "450 4.7.1 Client host rejected: cannot find your hostname",
        "451 4.3.0 Temporary local problem",
        "451 4.3.5 Server configuration problem, try again later",
        "451 4.7.1 Rate limit exceeded, try again later",
        "450 4.7.1 Too many connections, try again later",
        "451 4.7.1",
        "451 IP temporarily blacklisted - https://community.mimecast.com/docs/DOC-1369#451",
        "450 4.1.8 Sender address rejected: Domain not found",
        "454 4.7.0 TLS not available due to local problem",
    })
    void otherTemporaryFailuresAreNotGreylisting(String reply) {
        assertThat(detect(reply)).isEmpty();
    }

    @Test
    void failuresWithoutAReplyAreNotGreylisting() {
        RecipientOutcome dns = RecipientOutcome.failure("rcpt@example.net", AttemptStage.DNS,
            FailureKind.DNS_TEMPORARY, "SERVFAIL for example.net");
        RecipientOutcome dropped = RecipientOutcome.failureAt("rcpt@example.net", "mx.example.net",
            "192.0.2.25", AttemptStage.RCPT, FailureKind.CONNECTION_LOST, "connection reset");

        assertThat(detector.detect(dns)).isEmpty();
        assertThat(detector.detect(dropped)).isEmpty();
    }

    @Test
    void permanentAndPositiveRepliesAreNotGreylisting() {
        assertThat(detect("550 5.7.1 Greylisted forever")).isEmpty();
        assertThat(detect("250 2.1.5 Ok, not greylisted")).isEmpty();
    }

    @Test
    void anUnexpectedReplyTreatedAsTemporaryIsNotGreylisting() {
        RecipientOutcome odd = RecipientOutcome.fromUnexpectedReply("rcpt@example.net", "mx.example.net",
            "192.0.2.25", AttemptStage.DATA, SmtpReply.parse(List.of("250 greylist ok")));

        assertThat(detector.detect(odd)).isEmpty();
    }

    @Test
    void greylistingAtEndOfDataCounts() {
        RecipientOutcome outcome = RecipientOutcome.fromReply("rcpt@example.net", "mx.example.net", "192.0.2.25",
            AttemptStage.END_OF_DATA, SmtpReply.parse(List.of("451 4.7.1 Try again later")));

        assertThat(detector.detect(outcome)).isPresent();
    }
}
