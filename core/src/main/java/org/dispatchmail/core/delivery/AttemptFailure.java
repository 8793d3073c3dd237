package org.dispatchmail.core.delivery;

import java.util.Objects;

/** Why no transaction could be run with a server: it applies alike to every recipient still undecided. */
final class AttemptFailure {

    private final RecipientOutcome.Status status;
    private final String stage;
    private final SmtpReply reply;
    private final String error;
    private final String enhancedStatus;
    private final boolean tryNextHost;
    private final String tls;

    private AttemptFailure(RecipientOutcome.Status status, String stage, SmtpReply reply, String error,
                           String enhancedStatus, boolean tryNextHost, String tls) {
        this.status = status;
        this.stage = Objects.requireNonNull(stage, "stage");
        this.reply = reply;
        this.error = error;
        this.enhancedStatus = enhancedStatus;
        this.tryNextHost = tryNextHost;
        this.tls = tls;
    }

    /** The server's reply ended the session (e.g. a 554 greeting, a 421). */
    static AttemptFailure byReply(String stage, SmtpReply reply, boolean tryNextHost, String tls) {
        return new AttemptFailure(null, stage, Objects.requireNonNull(reply, "reply"), null, null, tryNextHost, tls);
    }

    static AttemptFailure temporary(String stage, String error, String enhancedStatus, boolean tryNextHost,
                                    String tls) {
        return new AttemptFailure(RecipientOutcome.Status.TEMPORARY, stage, null, error, enhancedStatus,
                tryNextHost, tls);
    }

    static AttemptFailure permanent(String stage, String error, String enhancedStatus, String tls) {
        return new AttemptFailure(RecipientOutcome.Status.PERMANENT, stage, null, error, enhancedStatus, false, tls);
    }

    boolean tryNextHost() {
        return tryNextHost;
    }

    RecipientOutcome outcomeFor(String recipient, String host, String address) {
        RecipientOutcome outcome;
        if (reply == null) {
            outcome = RecipientOutcome.fromError(status, recipient, host, address, stage, error, enhancedStatus);
        } else if (reply.isTransient() || reply.isPermanent()) {
            outcome = RecipientOutcome.fromReply(recipient, host, address, stage, reply);
        } else {
            outcome = RecipientOutcome.fromUnexpectedReply(recipient, host, address, stage, reply);
        }
        return outcome.withTls(tls);
    }

    @Override
    public String toString() {
        return stage + ": " + (reply != null ? reply.toString() : enhancedStatus + " " + error);
    }
}
