package org.dispatchmail.core.worker;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.report.DsnAction;
import org.dispatchmail.core.report.DsnMessage;
import org.dispatchmail.core.report.DsnMessageBuilder;
import org.dispatchmail.core.report.DsnRecipient;
import org.dispatchmail.core.report.DsnReport;
import org.dispatchmail.core.queue.StoredMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds and sends the RFC 3464 reports of one message: failures (bounced, expired, bounced by the
 * admin) and delays, to the envelope sender, honouring NOTIFY, never for the null sender. One report
 * covers every recipient of the message decided in the same step.
 */
public final class DeliveryReports {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryReports.class);

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

    public void failed(StoredMessage message, List<Line> lines) {
        send(message, lines, DsnAction.FAILED);
    }

    public void delayed(StoredMessage message, List<Line> lines) {
        send(message, lines, DsnAction.DELAYED);
    }

    /** Success reports for NOTIFY=SUCCESS recipients delivered to a server that does not do DSN itself. */
    public void relayed(StoredMessage message, List<Line> lines) {
        send(message, lines, DsnAction.RELAYED);
    }

    private void send(StoredMessage message, List<Line> lines, DsnAction action) {
        List<DsnRecipient> wanted = new ArrayList<>();
        for (Line line : lines) {
            if (DsnMessageBuilder.shouldReport(message.sender(), line.record.dsn(), action)) {
                wanted.add(line.toDsnRecipient(action, clock.instant()));
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        try {
            DsnMessage report = builder.build(new DsnReport(reportingMta, reportingMta, message.sender(),
                message.dsn(), message.createdAt(), wanted), message.content());
            sender.send(message.sender(), report.bytes());
            metrics.reportSent(action.name().toLowerCase());
            LOGGER.info("queue={} report={} to=<{}> recipients={}", message.id(),
                action.name().toLowerCase(), message.sender(), wanted.size());
        } catch (Exception e) {
            // The states are written anyway: a lost report must not hold the queue back. Say so loudly.
            LOGGER.error("queue={}: could not send the {} report to <{}>: {}", message.id(),
                action.name().toLowerCase(), message.sender(), e.toString());
        }
    }

    /** One recipient's part of a report: its record, what decided it, and until when it is retried. */
    public static final class Line {
        private final RecipientRecord record;
        private final Optional<RecipientOutcome> outcome;
        private final Optional<String> status;
        private final Optional<String> reason;
        private final Optional<Instant> willRetryUntil;

        public Line(RecipientRecord record, RecipientOutcome outcome, Optional<Instant> willRetryUntil) {
            this.record = record;
            this.outcome = Optional.of(outcome);
            this.status = Optional.empty();
            this.reason = Optional.empty();
            this.willRetryUntil = willRetryUntil;
        }

        private Line(RecipientRecord record, String status, String reason) {
            this.record = record;
            this.outcome = Optional.empty();
            this.status = Optional.of(status);
            this.reason = Optional.of(reason);
            this.willRetryUntil = Optional.empty();
        }

        /** A recipient given up by the admin, with no attempt behind the decision. */
        public static Line administrative(RecipientRecord record, String status, String reason) {
            return new Line(record, status, reason);
        }

        DsnRecipient toDsnRecipient(DsnAction action, Instant now) {
            if (outcome.isEmpty()) {
                return new DsnRecipient(record.recipient(), record.dsn(), action, status.get(), Optional.empty(),
                    Optional.empty(), now, Optional.empty(), reason);
            }
            return DsnRecipient.fromOutcome(outcome.get(), record.dsn(), action, now,
                action == DsnAction.DELAYED ? willRetryUntil : Optional.empty());
        }
    }
}
