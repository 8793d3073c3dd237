package org.dispatchmail.core.worker;

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
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.retry.GreylistWindow;
import org.dispatchmail.core.retry.RetryDecision;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.retry.RetryState;

/**
 * Decides what the outcomes of one attempt (one message, one destination domain) make of its recipients:
 * delivered, bounced, expired, or retried at a time the retry policy picks (greylisting-aware), with the
 * reports, counts and log lines that go with it. Reads and writes nothing: what it needs from storage is handed
 * in, and the prober coordination of the destination is asked through {@link ProberCoordination}.
 */
final class AttemptPlanner {

    /** The destination's greylisting prober, asked about each recipient greylisted in the attempt. */
    interface ProberCoordination {
        /** Probing alone: every greylisted recipient keeps the policy's decision. */
        ProberCoordination ALONE = new ProberCoordination() {
            @Override
            public RetryDecision greylisted(RecipientRecord record, RetryDecision decision) {
                return decision;
            }

            @Override
            public Optional<UUID> waitingFor() {
                return Optional.empty();
            }
        };

        /** The decision for a recipient greylisted now: the policy's, or a wait for another message's prober. */
        RetryDecision greylisted(RecipientRecord record, RetryDecision decision);

        /** The message a waiting recipient waits for. */
        Optional<UUID> waitingFor();
    }

    private final RetryPolicy policy;
    private final RetrySettings settings;
    private final String node;

    AttemptPlanner(RetryPolicy policy, RetrySettings settings, String node) {
        this.policy = policy;
        this.settings = settings;
        this.node = node;
    }

    /**
     * Whether {@link #plan} needs the destination's learned greylisting window: only when a recipient is deferred
     * or a delivery after greylisting teaches one (so a plain delivery costs no read).
     */
    boolean needsLearnedWindow(StoredMessage message, List<RecipientRecord> records, List<RecipientOutcome> outcomes,
                               Instant now) {
        for (int i = 0; i < records.size(); i++) {
            RecipientOutcome.Status status = outcomes.get(i).status();
            if (status == RecipientOutcome.Status.TEMPORARY
                || status == RecipientOutcome.Status.DELIVERED && observedWindow(message, records.get(i), now).isPresent()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The plan for the outcomes of one attempt, one per record, in the same order.
     *
     * @param learned the destination's learned greylisting window as stored (empty when none or not needed)
     * @param route the route taken, for the log
     */
    AttemptPlan plan(StoredMessage message, String route, List<RecipientRecord> records,
                     List<RecipientOutcome> outcomes, Optional<GreylistWindow> learned, ProberCoordination prober,
                     Instant now) {
        List<RecipientRecord> updated = new ArrayList<>();
        List<AttemptRecord> attempts = new ArrayList<>();
        AttemptPlan.ReportLines reports = new AttemptPlan.ReportLines();
        List<AttemptPlan.MetricEvent> metrics = new ArrayList<>();
        List<String> log = new ArrayList<>();
        List<AttemptPlan.ProbingNote> notes = new ArrayList<>();
        Optional<GreylistWindow> window = learned;
        Optional<GreylistWindow> taught = Optional.empty();
        // The window the retries use is the one known when the first recipient is deferred.
        Optional<GreylistWindow> windowForRetries = Optional.empty();
        boolean windowForRetriesFixed = false;
        // Recipients of the transaction deferred alike (same basis, same planned time) share one retry time,
        // so that they are tried together again rather than drifting apart by their own jitter.
        Map<String, Instant> sharedRetryTimes = new HashMap<>();
        for (int i = 0; i < records.size(); i++) {
            RecipientRecord record = records.get(i);
            RecipientOutcome outcome = outcomes.get(i);
            RetryState state = retryState(message, record);
            metrics.add(AttemptPlan.MetricEvent.attempt(outcome.status().name().toLowerCase(Locale.ROOT),
                outcome.serverReply().map(reply -> (reply.code() / 100) + "xx").orElse("none")));
            outcome.policy().ifPresent(tlsPolicy -> metrics.add(AttemptPlan.MetricEvent.tlsPolicy(tlsPolicy,
                outcome.status().name().toLowerCase(Locale.ROOT))));
            // A report still owed from an earlier step is superseded by what this attempt decides.
            RecipientRecord.Builder next = record.toBuilder().attempts(record.attempts() + 1).unclaimed()
                .lastResult(Optional.of(outcome.describe())).reportOwed(Optional.empty());
            String basis = "";
            switch (outcome.status()) {
                case DELIVERED:
                    next.state(RecipientState.DELIVERED).nextAttemptAt(now);
                    metrics.add(AttemptPlan.MetricEvent.delivered(Duration.between(message.createdAt(), now)));
                    if (record.dsn().wantsSuccess() && !outcome.dsnPassedOn()) {
                        reports.add(message, next, DsnAction.RELAYED,
                            new DeliveryReports.Line(record, outcome, Optional.empty()));
                    }
                    Optional<GreylistWindow> observed = observedWindow(message, record, now);
                    if (observed.isPresent()) {
                        GreylistWindow merged = window.map(old -> policy.merge(old, observed.get()))
                            .orElse(observed.get());
                        window = Optional.of(merged);
                        taught = window;
                    }
                    notes.add(AttemptPlan.ProbingNote.delivered(record, observed.isPresent() ? window
                        : Optional.empty()));
                    break;
                case PERMANENT:
                    notes.add(AttemptPlan.ProbingNote.ended(record));
                    next.state(RecipientState.BOUNCED).nextAttemptAt(now);
                    reports.add(message, next, DsnAction.FAILED,
                        new DeliveryReports.Line(record, outcome, Optional.empty()));
                    metrics.add(AttemptPlan.MetricEvent.failed("bounced"));
                    break;
                default:
                    if (!windowForRetriesFixed) {
                        windowForRetries = window;
                        windowForRetriesFixed = true;
                    }
                    RetryDecision decision = policy.decide(state, outcome, windowForRetries, now);
                    if (decision.expired()) {
                        notes.add(AttemptPlan.ProbingNote.ended(record));
                        next.state(RecipientState.EXPIRED).nextAttemptAt(now);
                        reports.add(message, next, DsnAction.FAILED,
                            new DeliveryReports.Line(record, outcome, Optional.empty()));
                        metrics.add(AttemptPlan.MetricEvent.failed("expired"));
                        break;
                    }
                    boolean greylisted = decision.greylisted();
                    if (greylisted) {
                        metrics.add(AttemptPlan.MetricEvent.greylisted());
                        decision = prober.greylisted(record, decision);
                        String waiting = decision.basis() == RetryDecision.Basis.WAIT_FOR_PROBER
                            ? prober.waitingFor().map(id -> ", waiting for prober " + id).orElse("") : "";
                        basis = " (greylisted" + waiting + ")";
                    } else {
                        notes.add(AttemptPlan.ProbingNote.ended(record));
                    }
                    RetryDecision chosen = decision;
                    Instant retryAt = sharedRetryTimes.computeIfAbsent(
                        decision.basis() + "@" + decision.plannedAt().orElseThrow(),
                        key -> chosen.retryAt().orElseThrow());
                    next.state(RecipientState.DEFERRED).nextAttemptAt(retryAt)
                        .greylistAttempts(decision.greylistAttempts())
                        .firstGreylistedAt(decision.firstGreylistedAt())
                        .lastGreylistedAt(greylisted ? Optional.of(now) : record.lastGreylistedAt());
                    if (policy.delayWarningDue(state, now)) {
                        next.delayWarningsSent(policy.afterDelayWarning(state, now).delayWarningsSent());
                        reports.add(message, next, DsnAction.DELAYED, new DeliveryReports.Line(record, outcome,
                            Optional.of(message.createdAt().plus(settings.maxLifetime()))));
                    }
            }
            RecipientRecord after = next.build();
            updated.add(after);
            attempts.add(new AttemptRecord(message.id(), node, tokenOf(record), now, outcome, after.state(),
                after.state().isFinal() ? Optional.empty() : Optional.of(after.nextAttemptAt())));
            log.add(logLine(message, record, route, outcome, after, basis, now));
        }
        return new AttemptPlan(updated, attempts, reports, metrics, log, taught, notes);
    }

    /** What a delivery after greylisting observed of the destination's window, before merging. */
    private Optional<GreylistWindow> observedWindow(StoredMessage message, RecipientRecord record, Instant now) {
        if (record.firstGreylistedAt().isEmpty() || record.lastGreylistedAt().isEmpty()) {
            return Optional.empty();
        }
        return policy.learnFromDelivery(retryState(message, record), now, record.lastGreylistedAt().get());
    }

    private static RetryState retryState(StoredMessage message, RecipientRecord record) {
        return new RetryState(message.createdAt(), record.attempts(), record.greylistAttempts(),
            record.firstGreylistedAt(), record.delayWarningsSent());
    }

    /** The token of the claim this node holds on the record (as the claim returned it). */
    static UUID tokenOf(RecipientRecord claimed) {
        return claimed.claimToken().orElseThrow(() -> new IllegalStateException(
            "no claim token on " + claimed + ": only a recipient claimed by this node can be completed"));
    }

    /** The delivery log's line for one recipient and attempt; {@code basis} qualifies the decision. */
    static String logLine(StoredMessage message, RecipientRecord record, String route, RecipientOutcome outcome,
                          RecipientRecord after, String basis, Instant now) {
        return "queue=" + message.id() + " rcpt=" + record.recipient() + " route=" + route
            + " host=" + outcome.hostName().orElse("-") + " ip=" + outcome.hostAddress().orElse("-")
            + " tls=" + outcome.tls().orElse("-") + " policy=" + outcome.policy().orElse("-") + " stage=" + outcome.attemptStage().wireName()
            + " status=" + outcome.enhancedStatus() + " result=\"" + outcome.describe() + "\""
            + " decision=" + after.state().name().toLowerCase(Locale.ROOT) + basis
            + " next=" + (after.state().isFinal() ? "-" : after.nextAttemptAt().toString())
            + " attempts=" + after.attempts()
            + " delay=" + Duration.between(message.createdAt(), now).getSeconds() + "s";
    }
}
