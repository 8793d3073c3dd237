package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.TlsRequirement;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryDecision;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.junit.jupiter.api.Test;

/** The decisions of recording an attempt, without a store, a clock or a report sender: only the plan. */
class AttemptPlannerTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final String POSTGREY = "450 4.2.0 <%s>: Recipient address rejected: Greylisted";
    private static final RecipientDsn NEVER = new RecipientDsn(EnumSet.of(DsnNotify.NEVER), Optional.empty());

    // default schedule (1m, 5m, ...), probes (35s, 30s, ...), 5d lifetime; no jitter; delay warnings at 4h and 1d
    private final RetrySettings retry = RetrySettings.from(new ConfigReader("dispatch.properties", Map.of(
        "retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.delayWarnings", "4h,1d")));
    private final AttemptPlanner planner = new AttemptPlanner(new RetryPolicy(retry, new Random(1)), retry, "node-a");
    private final StoredMessage message = new StoredMessage(UUID.randomUUID(), "mail-1", "alice@example.com", T0,
        MessageDsn.NONE, 3, 0, MessageContent.ofBytes("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));

    private RecipientRecord claimed(String recipient) {
        return claimed(recipient, RecipientDsn.NONE);
    }

    private RecipientRecord claimed(String recipient, RecipientDsn dsn) {
        return RecipientRecord.builder(message.id(), recipient, RecipientState.PENDING, T0).dsn(dsn)
            .claimedBy(Optional.of("node-a")).claimToken(Optional.of(UUID.randomUUID())).build();
    }

    private static RecipientOutcome reply(String recipient, String reply) {
        return RecipientOutcome.fromReply(recipient, "mx.one.test", "192.0.2.7", AttemptStage.RCPT,
            SmtpReply.parse(List.of(reply)));
    }

    private AttemptPlan plan(List<RecipientRecord> records, List<RecipientOutcome> outcomes, Instant now) {
        return planner.plan(message, "mx", records, outcomes, Optional.empty(),
            AttemptPlanner.ProberCoordination.ALONE, now);
    }

    @Test
    void recipientsDeferredAlikeShareOneRetryTimeAndEachGetsItsAttemptCounted() {
        List<RecipientRecord> records = List.of(claimed("bob@one.test"), claimed("carol@one.test"));

        AttemptPlan plan = plan(records, List.of(reply("bob@one.test", "451 4.3.0 later"),
            reply("carol@one.test", "451 4.3.0 later")), T0.plusSeconds(5));

        assertThat(plan.updated()).extracting(RecipientRecord::state)
            .containsExactly(RecipientState.DEFERRED, RecipientState.DEFERRED);
        assertThat(plan.updated()).extracting(RecipientRecord::nextAttemptAt).containsOnly(T0.plusSeconds(65));
        assertThat(plan.updated()).extracting(RecipientRecord::attempts).containsOnly(1);
        assertThat(plan.updated()).allSatisfy(r -> assertThat(r.claimedBy()).isEmpty());
        assertThat(plan.attempts()).extracting(a -> a.nextAttemptAt().orElseThrow()).containsOnly(T0.plusSeconds(65));
        assertThat(plan.allFinal()).isFalse();
        assertThat(plan.reports().isEmpty()).isTrue();
        assertThat(plan.metrics()).extracting(Object::toString)
            .containsExactly("attempt temporary 4xx", "attempt temporary 4xx");
        assertThat(plan.probingNotes()).extracting(Object::toString)
            .containsExactly("ended bob@one.test", "ended carol@one.test");
        assertThat(plan.logLines().get(0)).startsWith("queue=" + message.id() + " rcpt=bob@one.test route=mx"
            + " host=mx.one.test ip=192.0.2.7 tls=- policy=- stage=rcpt status=4.3.0 result=\"")
            .endsWith("decision=deferred next=" + T0.plusSeconds(65) + " attempts=1 delay=5s");
    }

    @Test
    void theLogLineNamesTheTlsPolicyTheAttemptWasMadeUnder() {
        List<RecipientRecord> records = List.of(claimed("bob@one.test"), claimed("carol@one.test"));

        AttemptPlan plan = plan(records, List.of(
            reply("bob@one.test", "250 2.1.5 ok").withPolicy(TlsRequirement.MTA_STS),
            reply("carol@one.test", "250 2.1.5 ok").withPolicy(TlsRequirement.mtaStsTesting(
                TlsRequirement.OPPORTUNISTIC))), T0);

        assertThat(plan.logLines().get(0)).contains(" tls=- policy=mta-sts stage=rcpt ");
        assertThat(plan.logLines().get(1)).contains(" tls=- policy=mta-sts-testing stage=rcpt ");
        assertThat(plan.metrics()).extracting(Object::toString).contains(
            "tls-policy mta-sts delivered", "tls-policy mta-sts-testing delivered");
    }

    @Test
    void aBounceAndAFailureNoReplyDecidedAreFinalAndOweOneFailureReportTogether() {
        List<RecipientRecord> records = List.of(claimed("bob@one.test"), claimed("carol@one.test"),
            claimed("dave@one.test", NEVER));

        AttemptPlan plan = plan(records, List.of(reply("bob@one.test", "550 5.1.1 no such user"),
            RecipientOutcome.failure("carol@one.test", AttemptStage.DNS, FailureKind.NULL_MX, "null MX"),
            RecipientOutcome.failure("dave@one.test", AttemptStage.DNS, FailureKind.NULL_MX, "null MX")), T0);

        assertThat(plan.allFinal()).isTrue();
        assertThat(plan.updated()).extracting(RecipientRecord::reportOwed)
            .containsExactly(Optional.of(DsnAction.FAILED), Optional.of(DsnAction.FAILED), Optional.empty());
        assertThat(plan.reports().byAction()).containsOnlyKeys(DsnAction.FAILED);
        assertThat(plan.reports().byAction().get(DsnAction.FAILED)).extracting(line -> line.record().recipient())
            .as("NOTIFY=NEVER keeps dave out").containsExactly("bob@one.test", "carol@one.test");
        assertThat(plan.metrics()).extracting(Object::toString).containsExactly("attempt permanent 5xx",
            "failed bounced", "attempt permanent none", "failed bounced", "attempt permanent none", "failed bounced");
        assertThat(plan.logLines().get(1)).contains("host=- ip=- tls=- policy=- stage=dns status=5.1.10");
    }

    @Test
    void aDeliveryAfterGreylistingTeachesAWindowThatALaterDeferralInTheSameAttemptUses() {
        RecipientRecord greylistedBefore = claimed("bob@one.test").toBuilder().attempts(2).greylistAttempts(2)
            .firstGreylistedAt(Optional.of(T0)).lastGreylistedAt(Optional.of(T0.plusSeconds(35))).build();
        RecipientRecord fresh = claimed("carol@one.test");
        Instant now = T0.plusSeconds(65);
        List<RecipientOutcome> outcomes = List.of(reply("bob@one.test", "250 2.0.0 ok"),
            reply("carol@one.test", String.format(POSTGREY, "carol@one.test")));
        assertThat(planner.needsLearnedWindow(message, List.of(greylistedBefore), outcomes.subList(0, 1), now))
            .as("a delivery that teaches merges with what is known").isTrue();

        AttemptPlan plan = planner.plan(message, "mx", List.of(greylistedBefore, fresh), outcomes, Optional.empty(),
            AttemptPlanner.ProberCoordination.ALONE, now);

        GreylistWindow taught = plan.windowToRemember().orElseThrow();
        assertThat(taught.lowerBound()).isEqualTo(Duration.ofSeconds(35));
        assertThat(taught.upperBound()).isEqualTo(Duration.ofSeconds(65));
        assertThat(plan.probingNotes()).extracting(Object::toString).containsExactly("delivered bob@one.test taught PT1M5S");
        assertThat(plan.updated().get(1).nextAttemptAt()).as("the window just taught, not the 35 s probe")
            .isEqualTo(now.plusSeconds(65));
        assertThat(plan.metrics()).extracting(Object::toString)
            .containsExactly("attempt delivered 2xx", "delivered PT1M5S", "attempt temporary 4xx", "greylisted");
    }

    @Test
    void aPlainDeliveryNeedsNoLearnedWindowAndTeachesNone() {
        List<RecipientRecord> records = List.of(claimed("bob@one.test"));
        List<RecipientOutcome> outcomes = List.of(reply("bob@one.test", "250 2.0.0 ok"));

        assertThat(planner.needsLearnedWindow(message, records, outcomes, T0)).isFalse();
        AttemptPlan plan = plan(records, outcomes, T0);
        assertThat(plan.windowToRemember()).isEmpty();
        assertThat(plan.updated().get(0).state()).isEqualTo(RecipientState.DELIVERED);
        assertThat(plan.attempts().get(0).nextAttemptAt()).isEmpty();
        assertThat(planner.needsLearnedWindow(message, records, List.of(reply("bob@one.test", "451 4.3.0 later")), T0))
            .isTrue();
    }

    @Test
    void aRecipientWaitingForAnotherMessagesProberSaysSoInTheLog() {
        UUID prober = UUID.randomUUID();
        List<String> asked = new ArrayList<>();
        AttemptPlanner.ProberCoordination waiting = new AttemptPlanner.ProberCoordination() {
            @Override
            public RetryDecision greylisted(RecipientRecord record, RetryDecision decision) {
                asked.add(record.recipient() + " " + decision.basis());
                return new RetryPolicy(retry, new Random(1)).waitForProber(decision, T0);
            }

            @Override
            public Optional<UUID> waitingFor() {
                return Optional.of(prober);
            }
        };

        AttemptPlan plan = planner.plan(message, "mx", List.of(claimed("bob@one.test")),
            List.of(reply("bob@one.test", String.format(POSTGREY, "bob@one.test"))), Optional.empty(), waiting, T0);

        assertThat(asked).containsExactly("bob@one.test PROBE");
        assertThat(plan.logLines().get(0)).contains("decision=deferred (greylisted, waiting for prober " + prober + ")");
        assertThat(plan.updated().get(0).greylistAttempts()).isEqualTo(1);
        assertThat(plan.updated().get(0).lastGreylistedAt()).contains(T0);
        assertThat(plan.probingNotes()).as("a recipient still greylisted has not left greylisting").isEmpty();
    }

    @Test
    void aDeferralPastADelayMarkOwesADelayReportAndCountsTheWarning() {
        Instant now = T0.plus(Duration.ofHours(4)).plusSeconds(1);
        RecipientRecord bob = claimed("bob@one.test").toBuilder().attempts(3).build();

        AttemptPlan plan = plan(List.of(bob), List.of(reply("bob@one.test", "451 4.3.0 later")), now);

        assertThat(plan.updated().get(0).delayWarningsSent()).isEqualTo(1);
        assertThat(plan.updated().get(0).reportOwed()).contains(DsnAction.DELAYED);
        assertThat(plan.updated().get(0).attempts()).isEqualTo(4);
        assertThat(plan.reports().byAction()).containsOnlyKeys(DsnAction.DELAYED);
    }

    @Test
    void aDeferralAtTheEndOfTheLifetimeExpires() {
        Instant now = T0.plus(Duration.ofDays(5));
        RecipientRecord bob = claimed("bob@one.test").toBuilder().delayWarningsSent(2).build();

        AttemptPlan plan = plan(List.of(bob), List.of(reply("bob@one.test", "451 4.3.0 later")), now);

        assertThat(plan.updated().get(0).state()).isEqualTo(RecipientState.EXPIRED);
        assertThat(plan.attempts().get(0).decision()).isEqualTo(RecipientState.EXPIRED);
        assertThat(plan.reports().byAction()).containsOnlyKeys(DsnAction.FAILED);
        assertThat(plan.metrics()).extracting(Object::toString)
            .containsExactly("attempt temporary 4xx", "failed expired");
    }
}
