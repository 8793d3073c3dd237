package org.dispatchmail.core.delivery;

import java.util.Objects;
import java.util.Optional;

/**
 * What became of one recipient in one delivery attempt, and enough context to explain it to a person. Either a
 * reply of the server decided ({@link #fromReply}, {@link #fromUnexpectedReply}) or a failure no reply decided
 * ({@link #failure}, {@link #failureAt}), of a {@link FailureKind}.
 */
public final class RecipientOutcome {

    public enum Status { DELIVERED, TEMPORARY, PERMANENT }

    /** RFC 3463 X.5.0: a reply the protocol does not allow at its point. */
    private static final EnhancedStatus UNEXPECTED_REPLY = EnhancedStatus.of(4, 5, 0);

    private final Status status;
    private final String recipient;
    private final Optional<String> host;
    private final Optional<String> address;
    private final AttemptStage stage;
    private final Optional<SmtpReply> reply;
    private final Optional<String> error;
    private final EnhancedStatus ownStatus;
    private final Optional<FailureKind> kind;
    private final Optional<String> tls;
    private final boolean dsnPassedOn;
    private final Optional<String> policy;

    private RecipientOutcome(Status status, String recipient, Optional<String> host, Optional<String> address,
                             AttemptStage stage, Optional<SmtpReply> reply, Optional<String> error,
                             EnhancedStatus ownStatus, Optional<FailureKind> kind, Optional<String> tls,
                             boolean dsnPassedOn) {
        this(status, recipient, host, address, stage, reply, error, ownStatus, kind, tls, dsnPassedOn,
            Optional.empty());
    }

    private RecipientOutcome(Status status, String recipient, Optional<String> host, Optional<String> address,
                             AttemptStage stage, Optional<SmtpReply> reply, Optional<String> error,
                             EnhancedStatus ownStatus, Optional<FailureKind> kind, Optional<String> tls,
                             boolean dsnPassedOn, Optional<String> policy) {
        this.status = Objects.requireNonNull(status, "status");
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.host = Objects.requireNonNull(host, "host");
        this.address = Objects.requireNonNull(address, "address");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = Objects.requireNonNull(reply, "reply");
        this.error = Objects.requireNonNull(error, "error");
        this.ownStatus = Objects.requireNonNull(ownStatus, "ownStatus");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.tls = Objects.requireNonNull(tls, "tls");
        this.dsnPassedOn = dsnPassedOn;
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** The server's reply decided: 2xx delivered, 5xx permanent, anything else (4xx, or an unexpected code) temporary. */
    public static RecipientOutcome fromReply(String recipient, String host, String address, AttemptStage stage,
                                             SmtpReply reply) {
        Objects.requireNonNull(reply, "reply");
        Status status = reply.isPositive() ? Status.DELIVERED
                : reply.isPermanent() ? Status.PERMANENT
                : Status.TEMPORARY;
        EnhancedStatus fallback = status == Status.PERMANENT ? EnhancedStatus.PERMANENT
                : status == Status.TEMPORARY ? EnhancedStatus.TEMPORARY : EnhancedStatus.SUCCESS;
        return new RecipientOutcome(status, recipient, Optional.ofNullable(host), Optional.ofNullable(address), stage,
                Optional.of(reply), Optional.empty(), fallback, Optional.empty(), Optional.empty(), false);
    }

    /**
     * A reply that the protocol does not allow at this point (e.g. 250 to DATA): nothing can be concluded about
     * delivery, so it counts as a temporary failure, with the error saying why.
     */
    public static RecipientOutcome fromUnexpectedReply(String recipient, String host, String address,
                                                       AttemptStage stage, SmtpReply reply) {
        Objects.requireNonNull(reply, "reply");
        return new RecipientOutcome(Status.TEMPORARY, recipient, Optional.ofNullable(host),
                Optional.ofNullable(address), stage, Optional.of(reply),
                Optional.of("unexpected reply code " + reply.code()), UNEXPECTED_REPLY, Optional.empty(),
                Optional.empty(), false);
    }

    /** No server was reached (DNS, the queue, no live server): {@code detail} describes the failure. */
    public static RecipientOutcome failure(String recipient, AttemptStage stage, FailureKind kind, String detail) {
        return failure(recipient, Optional.empty(), Optional.empty(), stage, kind, detail);
    }

    /** No reply decided at the server {@code host} at {@code address}: a connection, TLS or I/O problem. */
    public static RecipientOutcome failureAt(String recipient, String host, String address, AttemptStage stage,
                                             FailureKind kind, String detail) {
        return failure(recipient, Optional.of(host), Optional.of(address), stage, kind, detail);
    }

    private static RecipientOutcome failure(String recipient, Optional<String> host, Optional<String> address,
                                            AttemptStage stage, FailureKind kind, String detail) {
        return new RecipientOutcome(kind.outcomeStatus(), recipient, host, address, stage, Optional.empty(),
                Optional.of(Objects.requireNonNull(detail, "detail")), kind.enhancedStatus(), Optional.of(kind),
                Optional.empty(), false);
    }

    /** The same outcome, recorded as reached over the TLS session described by {@code tls} (null: plain text). */
    RecipientOutcome withTls(String tls) {
        return new RecipientOutcome(status, recipient, host, address, stage, reply, error, ownStatus, kind,
            Optional.ofNullable(tls), dsnPassedOn, policy);
    }

    /** The same outcome, reached under the TLS requirement {@code requirement} (its {@link #policy()} name). */
    public RecipientOutcome withPolicy(TlsRequirement requirement) {
        return new RecipientOutcome(status, recipient, host, address, stage, reply, error, ownStatus, kind, tls,
            dsnPassedOn, Optional.of(requirement.policyName()));
    }

    /**
     * The same outcome, noting whether the server offered DSN, so that it took over the duty to report
     * (RFC 3461 section 4.2): when it did not, a sender who asked for NOTIFY=SUCCESS is told "relayed".
     */
    public RecipientOutcome withDsnPassedOn(boolean passedOn) {
        return new RecipientOutcome(status, recipient, host, address, stage, reply, error, ownStatus, kind, tls,
            passedOn, policy);
    }

    public boolean dsnPassedOn() {
        return dsnPassedOn;
    }

    public Status status() {
        return status;
    }

    public String recipient() {
        return recipient;
    }

    /** The MX host name the attempt went to, empty when none was reached (e.g. DNS failure). */
    public Optional<String> hostName() {
        return host;
    }

    /** The IP address literal connected to, empty when none. */
    public Optional<String> hostAddress() {
        return address;
    }

    /** Where the attempt ended. */
    public AttemptStage attemptStage() {
        return stage;
    }

    /** The reply that decided this outcome, empty when a DNS/connection/I/O error did. */
    public Optional<SmtpReply> serverReply() {
        return reply;
    }

    /** The kind of failure when no reply decided; empty when one did. */
    public Optional<FailureKind> failureKind() {
        return kind;
    }

    /** Description of the DNS/connection/I/O error, or why a reply was unexpected; empty when a reply decided. */
    public Optional<String> errorDetail() {
        return error;
    }

    /**
     * The TLS session the outcome was reached over, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384 verified" (certificate
     * trusted and naming the host) or "... unverified"; empty for plain text or when no connection was made.
     */
    public Optional<String> tls() {
        return tls;
    }

    /**
     * The TLS policy the attempt was made under, as {@link TlsRequirement#policyName()} names it (e.g.
     * "opportunistic", "mta-sts"); empty when no requirement was decided (e.g. the MX lookup failed).
     */
    public Optional<String> policy() {
        return policy;
    }

    /** The reply's RFC 3463 code when it had one (and was expected), else one synthesized from what happened. */
    public EnhancedStatus statusCode() {
        return EnhancedStatus.parse(enhancedStatus());
    }

    // The column forms: what the attempt history stores, as text or null.

    /** {@link #hostName()} as stored: null when none. */
    public String host() {
        return host.orElse(null);
    }

    /** {@link #hostAddress()} as stored: null when none. */
    public String address() {
        return address.orElse(null);
    }

    /** {@link #attemptStage()} as stored: its wire name. */
    public String stage() {
        return stage.wireName();
    }

    /** {@link #serverReply()} as stored: null when none. */
    public SmtpReply reply() {
        return reply.orElse(null);
    }

    /** {@link #errorDetail()} as stored: null when none. */
    public String error() {
        return error.orElse(null);
    }

    /** {@link #statusCode()} as stored: the reply's code as the server wrote it, else the synthesized one. */
    public String enhancedStatus() {
        if (error.isEmpty() && reply.isPresent() && reply.get().enhancedCode() != null) {
            return reply.get().enhancedCode();
        }
        return ownStatus.toString();
    }

    /** One line for logs and bounces; the TLS session, when there was one, ends it. */
    public String describe() {
        String text = describeAttempt();
        return tls.map(session -> text + " [" + session + "]").orElse(text);
    }

    private String describeAttempt() {
        StringBuilder s = new StringBuilder();
        host.ifPresent(name -> {
            s.append(name);
            address.ifPresent(literal -> s.append('[').append(literal).append(']'));
        });
        if (reply.isPresent()) {
            s.append(" said ").append(reply.get());
            s.append(" (").append(stage.phrase(true)).append(')');
            error.ifPresent(text -> s.append(": ").append(text));
            return s.toString();
        }
        if (s.length() > 0) {
            s.append(": ");
        }
        s.append(enhancedStatus()).append(' ').append(error.orElse(""));
        s.append(" (").append(stage.phrase(false)).append(')');
        return s.toString();
    }

    @Override
    public String toString() {
        return status + " " + recipient + ": " + describe();
    }
}
