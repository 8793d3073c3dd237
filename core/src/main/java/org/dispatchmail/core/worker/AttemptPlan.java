package org.dispatchmail.core.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.retry.GreylistWindow;

/**
 * What recording the outcomes of one attempt will do, decided before anything is written: the recipients' next
 * records and attempt rows, the report lines they owe, the counts, the log lines, and what the destination's
 * greylisting taught. {@link AttemptPlanner} computes it without I/O; {@link OutcomeRecorder} carries it out.
 */
final class AttemptPlan {

    private final List<RecipientRecord> updated;
    private final List<AttemptRecord> attempts;
    private final ReportLines reports;
    private final List<MetricEvent> metrics;
    private final List<String> logLines;
    private final Optional<GreylistWindow> windowToRemember;
    private final List<ProbingNote> probingNotes;

    AttemptPlan(List<RecipientRecord> updated, List<AttemptRecord> attempts, ReportLines reports,
                List<MetricEvent> metrics, List<String> logLines, Optional<GreylistWindow> windowToRemember,
                List<ProbingNote> probingNotes) {
        this.updated = List.copyOf(updated);
        this.attempts = List.copyOf(attempts);
        this.reports = reports;
        this.metrics = List.copyOf(metrics);
        this.logLines = List.copyOf(logLines);
        this.windowToRemember = windowToRemember;
        this.probingNotes = List.copyOf(probingNotes);
    }

    /** The recipients' next records, in the order of the attempt's recipients. */
    List<RecipientRecord> updated() {
        return updated;
    }

    /** One history row per recipient, in the same order. */
    List<AttemptRecord> attempts() {
        return attempts;
    }

    /** The report lines owed, by kind; the records in {@link #updated()} are marked as owing them. */
    ReportLines reports() {
        return reports;
    }

    List<MetricEvent> metrics() {
        return metrics;
    }

    /** One line per recipient and attempt, for the delivery log. */
    List<String> logLines() {
        return logLines;
    }

    /** The destination's greylisting window as the deliveries after greylisting taught it, to be stored. */
    Optional<GreylistWindow> windowToRemember() {
        return windowToRemember;
    }

    /** What the destination's greylisting prober is told about recipients that leave greylisting. */
    List<ProbingNote> probingNotes() {
        return probingNotes;
    }

    /** True when every recipient of the attempt reached a final state. */
    boolean allFinal() {
        return updated.stream().allMatch(record -> record.state().isFinal());
    }

    /** The report lines one step of one message owes, by kind; the records are marked as owing them. */
    static final class ReportLines {
        private final Map<DsnAction, List<DeliveryReports.Line>> lines = new EnumMap<>(DsnAction.class);

        /** Marks {@code next} as owing the report when the sender wants one about this recipient. */
        void add(StoredMessage message, RecipientRecord.Builder next, DsnAction action,
                 DeliveryReports.Line line) {
            if (DeliveryReports.wanted(message, line.record(), action)) {
                next.reportOwed(Optional.of(action));
                lines.computeIfAbsent(action, a -> new ArrayList<>()).add(line);
            }
        }

        Map<DsnAction, List<DeliveryReports.Line>> byAction() {
            return lines;
        }

        boolean isEmpty() {
            return lines.isEmpty();
        }
    }

    /** One count for {@link QueueMetrics}. */
    static final class MetricEvent {
        enum Kind { ATTEMPT, TLS_POLICY, GREYLISTED, DELIVERED, FAILED }

        private final Kind kind;
        private final String first;
        private final String second;
        private final Duration latency;

        private MetricEvent(Kind kind, String first, String second, Duration latency) {
            this.kind = kind;
            this.first = first;
            this.second = second;
            this.latency = latency;
        }

        static MetricEvent attempt(String outcome, String replyClass) {
            return new MetricEvent(Kind.ATTEMPT, outcome, replyClass, Duration.ZERO);
        }

        static MetricEvent tlsPolicy(String policy, String outcome) {
            return new MetricEvent(Kind.TLS_POLICY, policy, outcome, Duration.ZERO);
        }

        static MetricEvent greylisted() {
            return new MetricEvent(Kind.GREYLISTED, "", "", Duration.ZERO);
        }

        static MetricEvent delivered(Duration latency) {
            return new MetricEvent(Kind.DELIVERED, "", "", latency);
        }

        static MetricEvent failed(String state) {
            return new MetricEvent(Kind.FAILED, state, "", Duration.ZERO);
        }

        void applyTo(QueueMetrics metrics) {
            switch (kind) {
                case ATTEMPT:
                    metrics.attempt(first, second);
                    break;
                case TLS_POLICY:
                    metrics.tlsPolicy(first, second);
                    break;
                case GREYLISTED:
                    metrics.greylisted();
                    break;
                case DELIVERED:
                    metrics.delivered(latency);
                    break;
                default:
                    metrics.failed(first);
            }
        }

        /** E.g. "attempt temporary 4xx", "tls-policy mta-sts delivered", "failed expired", "delivered PT5S", "greylisted". */
        @Override
        public String toString() {
            switch (kind) {
                case ATTEMPT:
                    return "attempt " + first + " " + second;
                case TLS_POLICY:
                    return "tls-policy " + first + " " + second;
                case GREYLISTED:
                    return "greylisted";
                case DELIVERED:
                    return "delivered " + latency;
                default:
                    return "failed " + first;
            }
        }
    }

    /** A recipient left greylisting: delivered (with the window it taught, if any) or ended otherwise. */
    static final class ProbingNote {
        private final RecipientRecord record;
        private final boolean delivered;
        private final Optional<GreylistWindow> taught;

        private ProbingNote(RecipientRecord record, boolean delivered, Optional<GreylistWindow> taught) {
            this.record = record;
            this.delivered = delivered;
            this.taught = taught;
        }

        static ProbingNote delivered(RecipientRecord record, Optional<GreylistWindow> taught) {
            return new ProbingNote(record, true, taught);
        }

        /** Bounced, expired, or deferred for another reason than greylisting. */
        static ProbingNote ended(RecipientRecord record) {
            return new ProbingNote(record, false, Optional.empty());
        }

        void tell(GreylistProbing.Round round) {
            if (delivered) {
                round.delivered(record, taught);
            } else {
                round.ended(record);
            }
        }

        @Override
        public String toString() {
            return (delivered ? "delivered " : "ended ") + record.recipient()
                + taught.map(window -> " taught " + window.upperBound()).orElse("");
        }
    }
}
