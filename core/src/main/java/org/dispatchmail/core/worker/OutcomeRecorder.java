package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryDecision;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.retry.RetryState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the outcomes of one attempt into the recipients' next states: delivered, bounced, expired, or
 * retried at a time the retry policy picks (greylisting-aware). The reports due (failures, delays,
 * relayed successes) are marked as owed in the state write and sent after it, only for recipients whose
 * state was written (an attempt that lost its claim reports nothing); a report that could not be sent
 * stays owed and is sent again later (see {@link DeliveryReports}). Writes one log line per recipient and
 * attempt.
 */
final class OutcomeRecorder {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.dispatchmail.delivery");

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
        OwedReports owed = new OwedReports(message);
        Optional<LearnedWindow> learned = Optional.empty();
        boolean learnedRead = false;
        GreylistProbing.Round round = probing.round(message, domain, now);
        // Recipients of the transaction deferred alike (same basis, same planned time) share one retry time,
        // so that they are tried together again rather than drifting apart by their own jitter.
        Map<String, Instant> sharedRetryTimes = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            RecipientRecord record = records.get(i);
            RecipientOutcome outcome = outcomes.get(i);
            metrics.attempt(outcome.status().name().toLowerCase(Locale.ROOT), replyClass(outcome.serverReply()));
            // A report still owed from an earlier step is superseded by what this attempt decides.
            RecipientRecord.Builder next = record.toBuilder().attempts(record.attempts() + 1).unclaimed()
                .lastResult(Optional.of(outcome.describe())).reportOwed(Optional.empty());
            boolean greylisted = false;
            String note = "";
            switch (outcome.status()) {
                case DELIVERED:
                    next.state(RecipientState.DELIVERED).nextAttemptAt(now);
                    metrics.delivered(Duration.between(message.createdAt(), now));
                    if (record.dsn().wantsSuccess() && !outcome.dsnPassedOn()) {
                        owed.add(next, DsnAction.RELAYED, new DeliveryReports.Line(record, outcome, Optional.empty()));
                    }
                    round.delivered(record, learnWindow(domain, message, record, now));
                    break;
                case PERMANENT:
                    round.ended(record);
                    next.state(RecipientState.BOUNCED).nextAttemptAt(now);
                    owed.add(next, DsnAction.FAILED, new DeliveryReports.Line(record, outcome, Optional.empty()));
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
                        owed.add(next, DsnAction.FAILED, new DeliveryReports.Line(record, outcome,
                            Optional.empty()));
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
                        owed.add(next, DsnAction.DELAYED, new DeliveryReports.Line(record, outcome,
                            Optional.of(message.createdAt().plus(retrySettings.maxLifetime()))));
                    }
            }
            RecipientRecord after = next.build();
            updated.add(after);
            log(message, record, route, outcome, after, greylisted ? " (greylisted" + note + ")" : "");
        }
        round.finish();
        List<AttemptRecord> attempts = new ArrayList<>();
        boolean allFinal = true;
        for (int i = 0; i < records.size(); i++) {
            RecipientRecord after = updated.get(i);
            attempts.add(new AttemptRecord(message.id(), node, tokenOf(records.get(i)), now, outcomes.get(i),
                after.state(),
                after.state().isFinal() ? Optional.empty() : Optional.of(after.nextAttemptAt())));
            allFinal &= after.state().isFinal();
        }
        owed.indexForRetry(updated);
        List<String> lost = store.complete(attempts, updated);
        for (String recipient : lost) {
            LOGGER.warn("queue={} rcpt={}: the claim was lost to another node meanwhile; its state is theirs",
                message.id(), recipient);
        }
        boolean allSent = owed.send(lost);
        if (allFinal && lost.isEmpty() && allSent && records.size() == message.recipientCount()) {
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
        RecipientOutcome outcome = RecipientOutcome.failure(seen.recipient(), AttemptStage.QUEUE, FailureKind.EXPIRED,
            reason);
        RecipientRecord.Builder next = seen.toBuilder().state(RecipientState.EXPIRED).nextAttemptAt(now).unclaimed()
            .lastResult(Optional.of(outcome.describe())).reportOwed(Optional.empty());
        OwedReports owed = new OwedReports(message);
        owed.add(next, DsnAction.FAILED, new DeliveryReports.Line(seen, outcome, Optional.empty()));
        RecipientRecord after = next.build();
        owed.indexForRetry(List.of(after));
        // Report only what was written: a recipient released or taken meanwhile is still queued.
        boolean written = claimed
            ? store.complete(new AttemptRecord(message.id(), node, tokenOf(seen), now, outcome, RecipientState.EXPIRED,
                Optional.empty()), after)
            : store.update(seen, after);
        if (written) {
            owed.send(List.of());
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

    /**
     * Sends the reports these recipients still owe (a send that failed, or a node that died between the state
     * write and the send), rebuilt from their stored state and last attempt; then finishes the message if done.
     */
    void sendOwedReports(StoredMessage message, List<RecipientRecord> owing) {
        OwedReports owed = new OwedReports(message);
        for (RecipientRecord record : owing) {
            DsnAction action = record.reportOwed().orElseThrow();
            Optional<Instant> until = action == DsnAction.DELAYED
                ? Optional.of(message.createdAt().plus(retrySettings.maxLifetime())) : Optional.empty();
            owed.add(record.toBuilder(), action, DeliveryReports.Line.owed(record, action, lastAttempt(record), until));
        }
        // indexed again first: if this send fails too, the reports come back once more
        owed.indexForRetry(owing);
        if (owed.send(List.of())) {
            LOGGER.info("queue={}: {} owed report line(s) sent", message.id(), owing.size());
        }
        finishIfDone(message);
    }

    private Optional<AttemptHistoryEntry> lastAttempt(RecipientRecord record) {
        List<AttemptHistoryEntry> history = store.attempts(record.messageId(), record.recipient());
        return history.isEmpty() ? Optional.empty() : Optional.of(history.get(history.size() - 1));
    }

    /** Removes the content once every recipient of the message is final and owes no report (which quotes it). */
    void finishIfDone(StoredMessage message) {
        for (RecipientRecord record : store.recipients(message.id())) {
            if (!record.state().isFinal() || record.reportOwed().isPresent()) {
                return;
            }
        }
        store.finish(message);
    }

    /** The reports one step of one message owes, by kind; marked in the state, sent after it is written. */
    private final class OwedReports {
        private final StoredMessage message;
        private final Map<DsnAction, List<DeliveryReports.Line>> lines = new EnumMap<>(DsnAction.class);

        OwedReports(StoredMessage message) {
            this.message = message;
        }

        /** Marks {@code next} as owing the report, when the sender wants one about this recipient. */
        void add(RecipientRecord.Builder next, DsnAction action, DeliveryReports.Line line) {
            if (DeliveryReports.wanted(message, line.record(), action)) {
                next.reportOwed(Optional.of(action));
                lines.computeIfAbsent(action, a -> new ArrayList<>()).add(line);
            }
        }

        /** An index entry that brings an owing recipient back if its report is not sent now (written first). */
        void indexForRetry(List<RecipientRecord> states) {
            Instant retryAt = clock.instant().plus(DeliveryReports.RETRY);
            for (RecipientRecord state : states) {
                if (state.reportOwed().isPresent()) {
                    store.index(state.messageId(), state.recipient(), retryAt);
                }
            }
        }

        /** Sends the reports of the recipients whose state was written (not {@code lost}); true when all went. */
        boolean send(List<String> lost) {
            boolean all = true;
            List<String> sent = new ArrayList<>();
            for (Map.Entry<DsnAction, List<DeliveryReports.Line>> kind : lines.entrySet()) {
                List<DeliveryReports.Line> written = new ArrayList<>();
                for (DeliveryReports.Line line : kind.getValue()) {
                    if (!lost.contains(line.record().recipient())) {
                        written.add(line);
                    }
                }
                if (written.isEmpty()) {
                    continue;
                }
                if (reports.send(message, written, kind.getKey())) {
                    written.forEach(line -> sent.add(line.record().recipient()));
                } else {
                    all = false;
                }
            }
            try {
                store.reportsSent(message.id(), sent);
            } catch (RuntimeException e) {
                LOGGER.warn("queue={}: reports sent, but their marks could not be cleared; they may be sent again: {}",
                    message.id(), e.getMessage());
                return false;
            }
            return all;
        }
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
            message.id(), record.recipient(), route, outcome.hostName().orElse("-"),
            outcome.hostAddress().orElse("-"), outcome.tls().orElse("-"), outcome.attemptStage().wireName(),
            outcome.enhancedStatus(), outcome.describe(),
            after.state().name().toLowerCase(Locale.ROOT), basis,
            after.state().isFinal() ? "-" : after.nextAttemptAt().toString(), after.attempts(),
            Duration.between(message.createdAt(), clock.instant()).getSeconds());
    }

    private static String replyClass(Optional<SmtpReply> reply) {
        return reply.map(r -> (r.code() / 100) + "xx").orElse("none");
    }
}
