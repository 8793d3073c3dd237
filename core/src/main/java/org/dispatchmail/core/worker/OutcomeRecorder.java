package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryDecision;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.retry.RetryState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the outcomes of one attempt into the recipients' next states: delivered, bounced, expired, or
 * retried at a time the retry policy picks (greylisting-aware). Sends the reports due (failures,
 * delays) before the state is written, so a crash in between repeats a report rather than losing it.
 * Writes one log line per recipient and attempt.
 */
final class OutcomeRecorder {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.dispatchmail.delivery");

    /** RFC 3463 X.4.7: delivery time expired. */
    static final String EXPIRED_STATUS = "4.4.7";

    private final QueueStore store;
    private final GreylistMemory greylistMemory;
    private final RetryPolicy policy;
    private final RetrySettings retrySettings;
    private final DeliveryReports reports;
    private final QueueMetrics metrics;
    private final String node;
    private final Clock clock;
    private final GreylistProbing probing;

    OutcomeRecorder(QueueStore store, GreylistMemory greylistMemory, RetryPolicy policy, RetrySettings retrySettings,
                    DeliveryReports reports, QueueMetrics metrics, String node, Clock clock) {
        this.store = store;
        this.greylistMemory = greylistMemory;
        this.policy = policy;
        this.retrySettings = retrySettings;
        this.reports = reports;
        this.metrics = metrics;
        this.node = node;
        this.clock = clock;
        this.probing = new GreylistProbing(store, greylistMemory, policy, retrySettings);
    }

    /** Records the outcomes of the recipients of one message and one destination domain. */
    void record(StoredMessage message, String domain, String route, List<RecipientRecord> records,
                List<RecipientOutcome> outcomes) {
        Instant now = clock.instant();
        List<RecipientRecord> updated = new ArrayList<>();
        List<DeliveryReports.Line> failed = new ArrayList<>();
        List<DeliveryReports.Line> delayed = new ArrayList<>();
        List<DeliveryReports.Line> relayed = new ArrayList<>();
        Optional<LearnedWindow> learned = Optional.empty();
        boolean learnedRead = false;
        GreylistProbing.Round round = probing.round(message, domain, now);
        // Recipients of the transaction deferred alike (same basis, same planned time) share one retry time,
        // so that they are tried together again rather than drifting apart by their own jitter.
        Map<String, Instant> sharedRetryTimes = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            RecipientRecord record = records.get(i);
            RecipientOutcome outcome = outcomes.get(i);
            metrics.attempt(outcome.status().name().toLowerCase(Locale.ROOT), replyClass(outcome.reply()));
            RecipientRecord.Builder next = record.toBuilder().attempts(record.attempts() + 1).unclaimed()
                .lastResult(Optional.of(outcome.describe()));
            boolean greylisted = false;
            String note = "";
            switch (outcome.status()) {
                case DELIVERED:
                    next.state(RecipientState.DELIVERED).nextAttemptAt(now);
                    metrics.delivered(Duration.between(message.createdAt(), now));
                    if (record.dsn().wantsSuccess() && !outcome.dsnPassedOn()) {
                        relayed.add(new DeliveryReports.Line(record, outcome, Optional.empty()));
                    }
                    round.delivered(record, learnWindow(domain, message, record, now));
                    break;
                case PERMANENT:
                    round.ended(record);
                    next.state(RecipientState.BOUNCED).nextAttemptAt(now);
                    failed.add(new DeliveryReports.Line(record, outcome, Optional.empty()));
                    metrics.failed("bounced");
                    break;
                default:
                    if (!learnedRead) {
                        learned = readWindow(domain);
                        learnedRead = true;
                    }
                    RetryDecision decision = policy.decide(retryState(message, record), outcome,
                        learned.map(OutcomeRecorder::toWindow), now);
                    if (decision.expired()) {
                        round.ended(record);
                        next.state(RecipientState.EXPIRED).nextAttemptAt(now);
                        failed.add(new DeliveryReports.Line(record, outcome, Optional.empty()));
                        metrics.failed("expired");
                        break;
                    }
                    greylisted = decision.greylisted();
                    if (greylisted) {
                        metrics.greylisted();
                        decision = round.greylisted(record, decision);
                        note = decision.basis() == RetryDecision.Basis.WAIT_FOR_PROBER
                            ? round.waitingFor().map(id -> ", waiting for prober " + id).orElse("") : "";
                    } else {
                        round.ended(record);
                    }
                    RetryDecision chosen = decision;
                    Instant retryAt = sharedRetryTimes.computeIfAbsent(
                        decision.basis() + "@" + decision.plannedAt().orElseThrow(),
                        key -> chosen.retryAt().orElseThrow());
                    next.state(RecipientState.DEFERRED).nextAttemptAt(retryAt)
                        .greylistAttempts(decision.greylistAttempts())
                        .firstGreylistedAt(decision.firstGreylistedAt())
                        .lastGreylistedAt(greylisted ? Optional.of(now) : record.lastGreylistedAt());
                    RetryState state = retryState(message, record);
                    if (policy.delayWarningDue(state, now)) {
                        next.delayWarningsSent(policy.afterDelayWarning(state, now).delayWarningsSent());
                        delayed.add(new DeliveryReports.Line(record, outcome,
                            Optional.of(message.createdAt().plus(retrySettings.maxLifetime()))));
                    }
            }
            RecipientRecord after = next.build();
            updated.add(after);
            log(message, record, route, outcome, after, greylisted ? " (greylisted" + note + ")" : "");
        }
        round.finish();
        reports.failed(message, failed);
        reports.delayed(message, delayed);
        reports.relayed(message, relayed);
        List<AttemptRecord> attempts = new ArrayList<>();
        boolean allFinal = true;
        for (int i = 0; i < records.size(); i++) {
            RecipientRecord after = updated.get(i);
            attempts.add(new AttemptRecord(message.id(), node, tokenOf(records.get(i)), now, outcomes.get(i),
                after.state(),
                after.state().isFinal() ? Optional.empty() : Optional.of(after.nextAttemptAt())));
            allFinal &= after.state().isFinal();
        }
        List<String> lost = store.complete(attempts, updated);
        for (String recipient : lost) {
            LOGGER.warn("queue={} rcpt={}: the claim was lost to another node meanwhile; its state is theirs",
                message.id(), recipient);
        }
        if (allFinal && lost.isEmpty() && records.size() == message.recipientCount()) {
            // Every recipient of the message was in this transaction and is done: no need to read them back.
            store.finish(message);
        } else {
            finishIfDone(message);
        }
    }

    /**
     * Gives a recipient up without an attempt: its lifetime is over. {@code claimed} says whether this node
     * holds its claim (taken for an attempt) or nobody does (a held recipient).
     */
    void expireWithoutAttempt(StoredMessage message, RecipientRecord seen, boolean claimed, String reason) {
        Instant now = clock.instant();
        RecipientOutcome outcome = RecipientOutcome.fromError(RecipientOutcome.Status.TEMPORARY, seen.recipient(),
            null, null, "queue", reason, EXPIRED_STATUS);
        RecipientRecord after = seen.toBuilder().state(RecipientState.EXPIRED).nextAttemptAt(now).unclaimed()
            .lastResult(Optional.of(outcome.describe())).build();
        // Report only what was written: a recipient released or taken meanwhile is still queued.
        boolean written = claimed
            ? store.complete(new AttemptRecord(message.id(), node, tokenOf(seen), now, outcome, RecipientState.EXPIRED,
                Optional.empty()), after)
            : store.update(seen, after);
        if (written) {
            reports.failed(message, List.of(new DeliveryReports.Line(seen, outcome, Optional.empty())));
            metrics.failed("expired");
            log(message, seen, "-", outcome, after, "");
            finishIfDone(message);
        }
    }

    /** The token of the claim this node holds on the record (as the claim returned it). */
    private static UUID tokenOf(RecipientRecord claimed) {
        return claimed.claimToken().orElseThrow(() -> new IllegalStateException(
            "no claim token on " + claimed + ": only a recipient claimed by this node can be completed"));
    }

    /** Removes the content once every recipient of the message is final. */
    void finishIfDone(StoredMessage message) {
        for (RecipientRecord record : store.recipients(message.id())) {
            if (!record.state().isFinal()) {
                return;
            }
        }
        store.finish(message);
    }

    private RetryState retryState(StoredMessage message, RecipientRecord record) {
        return new RetryState(message.createdAt(), record.attempts(), record.greylistAttempts(),
            record.firstGreylistedAt(), record.delayWarningsSent());
    }

    private Optional<LearnedWindow> readWindow(String domain) {
        try {
            return greylistMemory.window(domain);
        } catch (RuntimeException e) {
            // The learned window only makes retries earlier; the probes work without it.
            LOGGER.debug("No greylisting window for {}: {}", domain, e.getMessage());
            return Optional.empty();
        }
    }

    /** Remembers what a delivery after greylisting taught about the domain's window; returns the window now known. */
    private Optional<GreylistWindow> learnWindow(String domain, StoredMessage message, RecipientRecord record,
                                                 Instant deliveredAt) {
        if (record.firstGreylistedAt().isEmpty() || record.lastGreylistedAt().isEmpty()) {
            return Optional.empty();
        }
        Optional<GreylistWindow> observed = policy.learnFromDelivery(retryState(message, record), deliveredAt,
            record.lastGreylistedAt().get());
        if (observed.isEmpty()) {
            return Optional.empty();
        }
        GreylistWindow merged = readWindow(domain).map(OutcomeRecorder::toWindow)
            .map(old -> policy.merge(old, observed.get())).orElse(observed.get());
        try {
            greylistMemory.remember(domain, new LearnedWindow(merged.lowerBound(), merged.upperBound(),
                merged.observedAt()), retrySettings.learnedWindowTtl());
        } catch (RuntimeException e) {
            LOGGER.debug("Could not store the greylisting window of {}: {}", domain, e.getMessage());
        }
        return Optional.of(merged);
    }

    private static GreylistWindow toWindow(LearnedWindow window) {
        return new GreylistWindow(window.lower(), window.upper(), window.observedAt());
    }

    private void log(StoredMessage message, RecipientRecord record, String route, RecipientOutcome outcome,
                     RecipientRecord after, String basis) {
        LOGGER.info("queue={} rcpt={} route={} host={} ip={} tls={} stage={} status={} result=\"{}\" decision={}{}"
                + " next={} attempts={} delay={}s",
            message.id(), record.recipient(), route, orDash(outcome.host()), orDash(outcome.address()),
            orDash(outcome.tls()), outcome.stage(), outcome.enhancedStatus(), outcome.describe(),
            after.state().name().toLowerCase(Locale.ROOT), basis,
            after.state().isFinal() ? "-" : after.nextAttemptAt().toString(), after.attempts(),
            Duration.between(message.createdAt(), clock.instant()).getSeconds());
    }

    private static String orDash(String value) {
        return value == null ? "-" : value;
    }

    private static String replyClass(SmtpReply reply) {
        return reply == null ? "none" : (reply.code() / 100) + "xx";
    }
}
