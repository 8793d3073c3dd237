package org.dispatchmail.core.delivery;

import java.util.Objects;
import java.util.Optional;

/** Why no transaction could be run with a server: it applies alike to every recipient still undecided. */
final class AttemptFailure {

    private final AttemptStage stage;
    private final Optional<SmtpReply> reply;
    private final Optional<FailureKind> kind;
    private final String detail;
    private final boolean tryNextHost;
    private final String tls;

    private AttemptFailure(AttemptStage stage, Optional<SmtpReply> reply, Optional<FailureKind> kind, String detail,
                           boolean tryNextHost, String tls) {
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = reply;
        this.kind = kind;
        this.detail = detail;
        this.tryNextHost = tryNextHost;
        this.tls = tls;
    }

    /**
     * The server's reply ended the session before MAIL FROM (e.g. a 554 greeting, a 421): that is about the
     * server, so the next one is tried.
     *
     * @param tls the TLS session it came over, null for plain text
     */
    static AttemptFailure byReply(AttemptStage stage, SmtpReply reply, String tls) {
        return new AttemptFailure(stage, Optional.of(Objects.requireNonNull(reply, "reply")), Optional.empty(), "",
            true, tls);
    }

    /**
     * A failure of {@code kind} that no reply decided, described by {@code detail}.
     *
     * @param tls the TLS session it happened on, null for plain text or no connection
     */
    static AttemptFailure of(FailureKind kind, AttemptStage stage, String detail, String tls) {
        return new AttemptFailure(stage, Optional.empty(), Optional.of(kind), Objects.requireNonNull(detail, "detail"),
            kind.tryNextHost(), tls);
    }

    boolean tryNextHost() {
        return tryNextHost;
    }

    RecipientOutcome outcomeFor(String recipient, String host, String address) {
        RecipientOutcome outcome;
        if (reply.isEmpty()) {
            outcome = RecipientOutcome.failureAt(recipient, host, address, stage, kind.orElseThrow(), detail);
        } else if (reply.get().isTransient() || reply.get().isPermanent()) {
            outcome = RecipientOutcome.fromReply(recipient, host, address, stage, reply.get());
        } else {
            outcome = RecipientOutcome.fromUnexpectedReply(recipient, host, address, stage, reply.get());
        }
        return outcome.withTls(tls);
    }

    @Override
    public String toString() {
        return stage + ": " + reply.map(SmtpReply::toString)
            .orElseGet(() -> kind.orElseThrow().enhancedStatus() + " " + detail);
    }
}
