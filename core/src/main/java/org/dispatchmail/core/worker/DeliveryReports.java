package org.dispatchmail.core.worker;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.dsn.DsnMessage;
import org.dispatchmail.core.dsn.DsnMessageBuilder;
import org.dispatchmail.core.dsn.DsnRecipient;
import org.dispatchmail.core.dsn.DsnReport;
import org.dispatchmail.core.queue.StoredMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and sends the RFC 3464 reports of one message: failures (bounced, expired, bounced by the
 * admin) and delays, to the envelope sender, honouring NOTIFY, never for the null sender. One report
 * covers every recipient of the message decided in the same step.
 *
 * <p>A report is sent only after the state that justifies it is written, with the report marked as owed in
 * that same write ({@link RecipientRecord#reportOwed()}), and the mark is cleared once James took the report.
 * A send that fails leaves the mark: a worker sends the report again ({@link #RETRY} later, and so on until it
 * goes). A node that dies between the two leaves the mark too, so a report is never lost, and on the normal
 * path it is sent once.
 */
public final class DeliveryReports {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryReports.class);
    /** How long after a failed send (or a state written without its report sent) the report is tried again. */
    public static final Duration RETRY = Duration.ofMinutes(5);

    private final ReportSender sender;
    private final String reportingMta;
    private final DsnMessageBuilder builder;
    private final QueueMetrics metrics;
    private final Clock clock;

    public DeliveryReports(ReportSender sender, String reportingMta, long maxReturnedSize, QueueMetrics metrics,
                           Clock clock) {
        this.sender = sender;
        this.reportingMta = reportingMta;
        this.builder = new DsnMessageBuilder(clock, new SecureRandom(), maxReturnedSize);
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Whether the sender wants a report of this kind about this recipient (NOTIFY, null sender). */
    public static boolean wanted(StoredMessage message, RecipientRecord record, DsnAction action) {
        return DsnMessageBuilder.shouldReport(message.sender(), record.dsn(), action);
    }

    /** Sends the failure report of these lines; false when it could not be handed over (it is still owed). */
    public boolean failed(StoredMessage message, List<Line> lines) {
        return send(message, lines, DsnAction.FAILED);
    }

    public boolean delayed(StoredMessage message, List<Line> lines) {
        return send(message, lines, DsnAction.DELAYED);
    }

    /** Success reports for NOTIFY=SUCCESS recipients delivered to a server that does not do DSN itself. */
    public boolean relayed(StoredMessage message, List<Line> lines) {
        return send(message, lines, DsnAction.RELAYED);
    }

    /** Sends one report of {@code action} for these lines; true when it went (or none was wanted). */
    public boolean send(StoredMessage message, List<Line> lines, DsnAction action) {
        List<DsnRecipient> wanted = new ArrayList<>();
        for (Line line : lines) {
            if (wanted(message, line.record, action)) {
                wanted.add(line.toDsnRecipient(action, clock.instant()));
            }
        }
        if (wanted.isEmpty()) {
            return true;
        }
        try {
            DsnMessage report = builder.build(new DsnReport(reportingMta, reportingMta, message.sender(),
                message.dsn(), message.createdAt(), wanted), message.content());
            sender.send(message.sender(), report.bytes());
            metrics.reportSent(action.name().toLowerCase());
            LOGGER.info("queue={} report={} to=<{}> recipients={}", message.id(),
                action.name().toLowerCase(), message.sender(), wanted.size());
            return true;
        } catch (Exception e) {
            // The states are written and say the report is owed: it is sent again later, never lost.
            LOGGER.error("queue={}: could not send the {} report to <{}>, trying again in {} s: {}", message.id(),
                action.name().toLowerCase(), message.sender(), RETRY.getSeconds(), e.toString());
            return false;
        }
    }

    /** One recipient's part of a report: its record, what decided it, and until when it is retried. */
    public static final class Line {
        private final RecipientRecord record;
        private final Optional<RecipientOutcome> outcome;
        private final Optional<String> status;
        private final Optional<String> reason;
        private final Optional<Instant> willRetryUntil;
        private final Optional<DsnRecipient> stored;

        public Line(RecipientRecord record, RecipientOutcome outcome, Optional<Instant> willRetryUntil) {
            this.record = record;
            this.outcome = Optional.of(outcome);
            this.status = Optional.empty();
            this.reason = Optional.empty();
            this.willRetryUntil = willRetryUntil;
            this.stored = Optional.empty();
        }

        private Line(RecipientRecord record, DsnAction action, Optional<AttemptHistoryEntry> last,
                     Optional<Instant> willRetryUntil) {
            this.record = record;
            this.outcome = Optional.empty();
            this.status = Optional.empty();
            this.reason = Optional.empty();
            this.willRetryUntil = willRetryUntil;
            String fallback = action == DsnAction.FAILED ? "5.0.0" : action == DsnAction.DELAYED ? "4.0.0" : "2.0.0";
            Optional<String> lastResult = record.lastResult();
            String status = last.flatMap(AttemptHistoryEntry::enhancedCode)
                .or(() -> lastResult.map(text -> text.split(" ", 2)[0]))
                .filter(code -> code.matches("[245]\\.\\d{1,3}\\.\\d{1,3}") && fitsAction(code, action))
                .orElse(fallback);
            Optional<String> diagnostic = last.flatMap(entry -> entry.replyCode().map(code -> code
                + entry.enhancedCode().map(enhanced -> " " + enhanced).orElse("")
                + entry.text().map(text -> " " + text).orElse("")));
            this.stored = Optional.of(new DsnRecipient(record.recipient(), record.dsn(), action, status,
                last.flatMap(AttemptHistoryEntry::host), diagnostic,
                last.map(AttemptHistoryEntry::attemptedAt).orElse(record.nextAttemptAt()),
                action == DsnAction.DELAYED ? willRetryUntil : Optional.empty(), lastResult));
        }

        private static boolean fitsAction(String status, DsnAction action) {
            char cls = status.charAt(0);
            return action.isSuccess() ? cls == '2' : action == DsnAction.DELAYED ? cls == '4' : cls != '2';
        }

        private Line(RecipientRecord record, String status, String reason) {
            this.record = record;
            this.outcome = Optional.empty();
            this.status = Optional.of(status);
            this.reason = Optional.of(reason);
            this.willRetryUntil = Optional.empty();
            this.stored = Optional.empty();
        }

        /**
         * A report owed since an earlier step, rebuilt from what was stored: the last attempt (its server and
         * reply), else the recipient's last result (an admin's bounce, an expiry without an attempt).
         */
        public static Line owed(RecipientRecord record, DsnAction action, Optional<AttemptHistoryEntry> last,
                                Optional<Instant> willRetryUntil) {
            return new Line(record, action, last, willRetryUntil);
        }

        /** A recipient given up by the admin, with no attempt behind the decision. */
        public static Line administrative(RecipientRecord record, String status, String reason) {
            return new Line(record, status, reason);
        }

        /** The recipient's record the line reports on. */
        public RecipientRecord record() {
            return record;
        }

        DsnRecipient toDsnRecipient(DsnAction action, Instant now) {
            if (stored.isPresent()) {
                return stored.get();
            }
            if (outcome.isEmpty()) {
                return new DsnRecipient(record.recipient(), record.dsn(), action, status.get(), Optional.empty(),
                    Optional.empty(), now, Optional.empty(), reason);
            }
            return DsnRecipient.fromOutcome(outcome.get(), record.dsn(), action, now,
                action == DsnAction.DELAYED ? willRetryUntil : Optional.empty());
        }
    }
}
