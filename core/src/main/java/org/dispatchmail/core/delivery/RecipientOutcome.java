package org.dispatchmail.core.delivery;

import java.util.Objects;

/** What became of one recipient in one delivery attempt, and enough context to explain it to a person. */
public final class RecipientOutcome {

    public enum Status { DELIVERED, TEMPORARY, PERMANENT }

    public static final String STAGE_DNS = "dns";
    public static final String STAGE_CONNECT = "connect";
    public static final String STAGE_GREETING = "greeting";
    public static final String STAGE_EHLO = "ehlo";
    public static final String STAGE_STARTTLS = "starttls";
    public static final String STAGE_AUTH = "auth";
    public static final String STAGE_MAIL = "mail";
    public static final String STAGE_RCPT = "rcpt";
    public static final String STAGE_DATA = "data";
    public static final String STAGE_END_OF_DATA = "end-of-data";

    /** Synthesized RFC 3463 codes for outcomes that no SMTP reply decided. */
    public static final String NULL_MX_STATUS = "5.1.10";
    public static final String NO_SUCH_DOMAIN_STATUS = "5.1.2";
    public static final String DNS_TEMPORARY_STATUS = "4.4.3";
    public static final String NO_ANSWER_STATUS = "4.4.1";
    public static final String CONNECTION_DROPPED_STATUS = "4.4.2";
    /** Our own per-host connection limit was reached and no connection freed up in time. */
    public static final String TOO_MANY_CONNECTIONS_STATUS = "4.4.5";
    /** TLS was required but the server does not offer it (or refused STARTTLS). */
    public static final String TLS_NOT_OFFERED_STATUS = "4.7.4";
    /** The TLS handshake failed, or the certificate is untrusted or does not name the host. */
    public static final String TLS_FAILED_STATUS = "4.7.5";
    /** The login for a smart host was refused. */
    public static final String AUTH_FAILED_STATUS = "4.7.8";
    /** Credentials would have been sent without TLS. */
    public static final String ENCRYPTION_NEEDED_STATUS = "4.7.10";
    /** The server advertises a smaller SIZE limit than the message. */
    public static final String MESSAGE_TOO_LARGE_STATUS = "5.3.4";
    /** The envelope has non-ASCII addresses and the server does not offer SMTPUTF8. */
    public static final String SMTPUTF8_REQUIRED_STATUS = "5.6.7";

    private final Status status;
    private final String recipient;
    private final String host;
    private final String address;
    private final String stage;
    private final SmtpReply reply;
    private final String error;
    private final String fallbackStatus;
    private final String tls;
    private final boolean dsnPassedOn;

    private RecipientOutcome(Status status, String recipient, String host, String address, String stage,
                             SmtpReply reply, String error, String fallbackStatus) {
        this(status, recipient, host, address, stage, reply, error, fallbackStatus, null, false);
    }

    private RecipientOutcome(Status status, String recipient, String host, String address, String stage,
                             SmtpReply reply, String error, String fallbackStatus, String tls, boolean dsnPassedOn) {
        this.dsnPassedOn = dsnPassedOn;
        this.status = Objects.requireNonNull(status, "status");
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.host = host;
        this.address = address;
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = reply;
        this.error = error;
        this.fallbackStatus = fallbackStatus;
        this.tls = tls;
    }

    /** The same outcome, recorded as reached over the TLS session described by {@code tls} (null: plain text). */
    public RecipientOutcome withTls(String tls) {
        return new RecipientOutcome(status, recipient, host, address, stage, reply, error, fallbackStatus, tls,
            dsnPassedOn);
    }

    /**
     * The same outcome, noting whether the server offered DSN, so that it took over the duty to report
     * (RFC 3461 section 4.2): when it did not, a sender who asked for NOTIFY=SUCCESS is told "relayed".
     */
    public RecipientOutcome withDsnPassedOn(boolean passedOn) {
        return new RecipientOutcome(status, recipient, host, address, stage, reply, error, fallbackStatus, tls,
            passedOn);
    }

    public boolean dsnPassedOn() {
        return dsnPassedOn;
    }

    /** The server's reply decided: 2xx delivered, 5xx permanent, anything else (4xx, or an unexpected code) temporary. */
    public static RecipientOutcome fromReply(String recipient, String host, String address, String stage,
                                             SmtpReply reply) {
        Objects.requireNonNull(reply, "reply");
        Status status = reply.isPositive() ? Status.DELIVERED
                : reply.isPermanent() ? Status.PERMANENT
                : Status.TEMPORARY;
        String fallback = status == Status.PERMANENT ? "5.0.0" : status == Status.TEMPORARY ? "4.0.0" : "2.0.0";
        return new RecipientOutcome(status, recipient, host, address, stage, reply, null, fallback);
    }

    /**
     * A reply that the protocol does not allow at this point (e.g. 250 to DATA): nothing can be concluded about
     * delivery, so it counts as a temporary failure, with {@code error} saying why.
     */
    public static RecipientOutcome fromUnexpectedReply(String recipient, String host, String address, String stage,
                                                       SmtpReply reply) {
        Objects.requireNonNull(reply, "reply");
        return new RecipientOutcome(Status.TEMPORARY, recipient, host, address, stage, reply,
                "unexpected reply code " + reply.code(), "4.5.0");
    }

    /** No reply decided: a DNS, connection or I/O problem described by {@code error}. */
    public static RecipientOutcome fromError(Status status, String recipient, String host, String address,
                                             String stage, String error, String enhancedStatus) {
        if (status == Status.DELIVERED) {
            throw new IllegalArgumentException("an error cannot deliver");
        }
        return new RecipientOutcome(status, recipient, host, address, stage, null,
                Objects.requireNonNull(error, "error"), Objects.requireNonNull(enhancedStatus, "enhancedStatus"));
    }

    public Status status() {
        return status;
    }

    public String recipient() {
        return recipient;
    }

    /** The MX host name the attempt went to, null when none was reached (e.g. DNS failure). */
    public String host() {
        return host;
    }

    /** The IP address literal connected to, null when none. */
    public String address() {
        return address;
    }

    /** Where the attempt ended: one of the STAGE_ constants. */
    public String stage() {
        return stage;
    }

    /** The reply that decided this outcome, null when a DNS/connection/I/O error did. */
    public SmtpReply reply() {
        return reply;
    }

    /** Description of the DNS/connection/I/O error, null when a reply decided (as expected by the protocol). */
    public String error() {
        return error;
    }

    /**
     * The TLS session the outcome was reached over, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384 verified" (certificate
     * trusted and naming the host) or "... unverified"; null for plain text or when no connection was made.
     */
    public String tls() {
        return tls;
    }

    /** The reply's RFC 3463 code when it had one, else one synthesized from what happened. */
    public String enhancedStatus() {
        if (error == null && reply.enhancedCode() != null) {
            return reply.enhancedCode();
        }
        return fallbackStatus;
    }

    /** One line for logs and bounces; the TLS session, when there was one, ends it. */
    public String describe() {
        String text = describeAttempt();
        return tls == null ? text : text + " [" + tls + "]";
    }

    private String describeAttempt() {
        StringBuilder s = new StringBuilder();
        if (host != null) {
            s.append(host);
            if (address != null) {
                s.append('[').append(address).append(']');
            }
        }
        if (reply != null) {
            s.append(" said ").append(reply);
            s.append(" (").append(stagePhrase()).append(')');
            if (error != null) {
                s.append(": ").append(error);
            }
            return s.toString();
        }
        if (s.length() > 0) {
            s.append(": ");
        }
        s.append(enhancedStatus()).append(' ').append(error);
        s.append(" (").append(stagePhrase()).append(')');
        return s.toString();
    }

    private String stagePhrase() {
        boolean replied = reply != null;
        switch (stage) {
            case STAGE_DNS:
                return "while looking up the mail servers";
            case STAGE_CONNECT:
                return "while connecting";
            case STAGE_GREETING:
                return replied ? "in the greeting" : "while waiting for the greeting";
            case STAGE_EHLO:
                return replied ? "in reply to EHLO/HELO" : "during EHLO/HELO";
            case STAGE_STARTTLS:
                return replied ? "in reply to STARTTLS" : "while starting TLS";
            case STAGE_AUTH:
                return replied ? "in reply to AUTH" : "while authenticating";
            case STAGE_MAIL:
                return replied ? "in reply to MAIL FROM" : "during MAIL FROM";
            case STAGE_RCPT:
                return replied ? "in reply to RCPT TO" : "during RCPT TO";
            case STAGE_DATA:
                return replied ? "in reply to DATA" : "while sending the message";
            case STAGE_END_OF_DATA:
                return replied ? "in reply to end of DATA" : "while waiting for the reply to end of DATA";
            default:
                return "at " + stage;
        }
    }

    @Override
    public String toString() {
        return status + " " + recipient + ": " + describe();
    }
}
