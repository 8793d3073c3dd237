package org.dispatchmail.core.dsn;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.dispatchmail.core.delivery.MessageDsn;

/** Everything a delivery status notification about one message reports, except the message itself. */
public final class DsnReport {
    private final String reportingMta;
    private final String reportingDomain;
    private final String envelopeSender;
    private final MessageDsn messageDsn;
    private final Instant arrivalDate;
    private final List<DsnRecipient> recipients;

    /**
     * @param reportingMta this host's name, for Reporting-MTA and the Message-ID
     * @param reportingDomain the domain of the MAILER-DAEMON address in From:
     * @param envelopeSender the original MAIL FROM, which the report goes to; never the null sender
     * @param messageDsn RET and ENVID given at MAIL FROM
     * @param arrivalDate when the message was queued
     */
    public DsnReport(String reportingMta, String reportingDomain, String envelopeSender, MessageDsn messageDsn,
                     Instant arrivalDate, List<DsnRecipient> recipients) {
        this.reportingMta = requireText(reportingMta, "reportingMta");
        this.reportingDomain = requireText(reportingDomain, "reportingDomain");
        this.envelopeSender = requireText(envelopeSender, "envelopeSender (the null sender gets no reports)");
        this.messageDsn = Objects.requireNonNull(messageDsn, "messageDsn");
        this.arrivalDate = Objects.requireNonNull(arrivalDate, "arrivalDate");
        this.recipients = List.copyOf(recipients);
        if (this.recipients.isEmpty()) {
            throw new IllegalArgumentException("a report is about at least one recipient");
        }
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank() || value.chars().anyMatch(c -> c == '\r' || c == '\n')) {
            throw new IllegalArgumentException(what + " must be one non-empty line");
        }
        return value;
    }

    public String reportingMta() {
        return reportingMta;
    }

    public String reportingDomain() {
        return reportingDomain;
    }

    public String envelopeSender() {
        return envelopeSender;
    }

    public MessageDsn messageDsn() {
        return messageDsn;
    }

    public Instant arrivalDate() {
        return arrivalDate;
    }

    public List<DsnRecipient> recipients() {
        return recipients;
    }

    public boolean hasFailures() {
        return recipients.stream().anyMatch(r -> r.action() == DsnAction.FAILED);
    }

    public boolean hasDelays() {
        return recipients.stream().anyMatch(r -> r.action() == DsnAction.DELAYED);
    }
}
