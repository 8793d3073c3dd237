package org.dispatchmail.core.worker;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.DueEntry;
import org.dispatchmail.core.queue.GreylistMemory;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the outcomes of one attempt into the recipients' next states: delivered, bounced, expired, or
 * retried at a time the retry policy picks (greylisting-aware). The reports due (failures, delays,
 * relayed successes) are marked as owed in the state write and sent after it, only for recipients whose
 * state was written (an attempt that lost its claim reports nothing); a report that could not be sent
 * stays owed and is sent again later (see {@link DeliveryReports}). Writes one log line per recipient and
 * attempt.
 *
 * <p>The decisions are {@link AttemptPlanner}'s, made before anything is written; this class reads what they
 * need, then carries out the {@link AttemptPlan}.
 */
final class OutcomeRecorder {
    private static final Logger LOGGER = LoggerFactory.getLogger("org.dispatchmail.delivery");

    private final QueueStore store;
    private final GreylistMemory greylistMemory;
    private final RetrySettings retrySettings;
    private final DeliveryReports reports;
    private final QueueMetrics metrics;
    private final String node;
    private final Clock clock;
    private final GreylistProbing probing;
    private final AttemptPlanner planner;

    OutcomeRecorder(QueueStore store, GreylistMemory greylistMemory, RetryPolicy policy, RetrySettings retrySettings,
                    DeliveryReports reports, QueueMetrics metrics, String node, Clock clock) {
        this.store = store;
        this.greylistMemory = greylistMemory;
        this.retrySettings = retrySettings;
        this.reports = reports;
        this.metrics = metrics;
        this.node = node;
        this.clock = clock;
        this.probing = new GreylistProbing(store, greylistMemory, policy, retrySettings);
        this.planner = new AttemptPlanner(policy, retrySettings, node);
    }

    /** Records the outcomes of the recipients of one message and one destination domain. */
    void record(StoredMessage message, String domain, String route, List<RecipientRecord> records,
                List<RecipientOutcome> outcomes) {
        record(message, domain, route, records, outcomes, List.of());
    }

    /**
     * Records the outcomes; {@code lookAgain} are the index entries the claim of {@code records} left to look at
     * them again, removed with the content when this transaction finishes the message.
     */
    void record(StoredMessage message, String domain, String route, List<RecipientRecord> records,
                List<RecipientOutcome> outcomes, List<DueEntry> lookAgain) {
        Instant now = clock.instant();
        Optional<GreylistWindow> learned = planner.needsLearnedWindow(message, records, outcomes, now)
            ? readWindow(domain) : Optional.empty();
        GreylistProbing.Round round = probing.round(message, domain, now);
        AttemptPlan plan = planner.plan(message, route, records, outcomes, learned, round, now);
        carryOut(message, domain, plan, round, records.size() == message.recipientCount(), lookAgain);
    }

    /** Performs a plan: its writes, then the reports of what was written, the counts and the log. */
    private void carryOut(StoredMessage message, String domain, AttemptPlan plan, GreylistProbing.Round round,
                          boolean wholeMessage, List<DueEntry> lookAgain) {
        plan.windowToRemember().ifPresent(window -> rememberWindow(domain, window));
        plan.metrics().forEach(event -> event.applyTo(metrics));
        plan.logLines().forEach(LOGGER::info);
        plan.probingNotes().forEach(note -> note.tell(round));
        round.finish();
        indexForRetry(plan.updated());
        List<String> lost = store.complete(plan.attempts(), plan.updated());
        for (String recipient : lost) {
            LOGGER.warn("queue={} rcpt={}: the claim was lost to another node meanwhile; its state is theirs",
                message.id(), recipient);
        }
        boolean allSent = send(message, plan.reports(), lost);
        if (plan.allFinal() && lost.isEmpty() && allSent && wholeMessage) {
            // Every recipient of the message was in this transaction and is done: no need to read them back,
            // now or when the claim's look-again entries come due.
            store.finish(message, lookAgain);
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
        AttemptPlan.ReportLines owed = new AttemptPlan.ReportLines();
        owed.add(message, next, DsnAction.FAILED, new DeliveryReports.Line(seen, outcome, Optional.empty()));
        RecipientRecord after = next.build();
        indexForRetry(List.of(after));
        // Report only what was written: a recipient released or taken meanwhile is still queued.
        boolean written = claimed
            ? store.complete(new AttemptRecord(message.id(), node, AttemptPlanner.tokenOf(seen), now, outcome,
                RecipientState.EXPIRED, Optional.empty()), after)
            : store.update(seen, after);
        if (written) {
            send(message, owed, List.of());
            metrics.failed("expired");
            LOGGER.info(AttemptPlanner.logLine(message, seen, "-", outcome, after, "", clock.instant()));
            finishIfDone(message);
        }
    }

    /**
     * Sends the reports these recipients still owe (a send that failed, or a node that died between the state
     * write and the send), rebuilt from their stored state and last attempt; then finishes the message if done.
     */
    void sendOwedReports(StoredMessage message, List<RecipientRecord> owing) {
        AttemptPlan.ReportLines owed = new AttemptPlan.ReportLines();
        for (RecipientRecord record : owing) {
            DsnAction action = record.reportOwed().orElseThrow();
            Optional<Instant> until = action == DsnAction.DELAYED
                ? Optional.of(message.createdAt().plus(retrySettings.maxLifetime())) : Optional.empty();
            owed.add(message, record.toBuilder(), action,
                DeliveryReports.Line.owed(record, action, lastAttempt(record), until));
        }
        // indexed again first: if this send fails too, the reports come back once more
        indexForRetry(owing);
        if (send(message, owed, List.of())) {
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

    /** An index entry that brings an owing recipient back if its report is not sent now (written first). */
    private void indexForRetry(List<RecipientRecord> states) {
        Instant retryAt = clock.instant().plus(DeliveryReports.RETRY);
        for (RecipientRecord state : states) {
            if (state.reportOwed().isPresent()) {
                store.index(state.messageId(), state.recipient(), retryAt);
            }
        }
    }

    /** Sends the reports of the recipients whose state was written (not {@code lost}); true when all went. */
    private boolean send(StoredMessage message, AttemptPlan.ReportLines owed, List<String> lost) {
        boolean all = true;
        List<String> sent = new ArrayList<>();
        for (Map.Entry<DsnAction, List<DeliveryReports.Line>> kind : owed.byAction().entrySet()) {
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

    private Optional<GreylistWindow> readWindow(String domain) {
        try {
            return greylistMemory.window(domain)
                .map(window -> new GreylistWindow(window.lower(), window.upper(), window.observedAt()));
        } catch (RuntimeException e) {
            // The learned window only makes retries earlier; the probes work without it.
            LOGGER.debug("No greylisting window for {}: {}", domain, e.getMessage());
            return Optional.empty();
        }
    }

    private void rememberWindow(String domain, GreylistWindow window) {
        try {
            greylistMemory.remember(domain, new LearnedWindow(window.lowerBound(), window.upperBound(),
                window.observedAt()), retrySettings.learnedWindowTtl());
        } catch (RuntimeException e) {
            LOGGER.debug("Could not store the greylisting window of {}: {}", domain, e.getMessage());
        }
    }
}
