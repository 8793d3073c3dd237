package org.dispatchmail.core.dsn;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.delivery.SmtpReply;

/** What one recipient's part of a delivery status notification says. */
public final class DsnRecipient {
    private static final Pattern STATUS = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

    private final String recipient;
    private final RecipientDsn dsn;
    private final DsnAction action;
    private final String status;
    private final Optional<String> remoteMta;
    private final Optional<String> diagnostic;
    private final Instant lastAttempt;
    private final Optional<Instant> willRetryUntil;
    private final Optional<String> explanation;

    /**
     * @param recipient the address as given at RCPT TO
     * @param dsn NOTIFY and ORCPT given with it
     * @param status the RFC 3463 code, e.g. 5.1.1; 2.x.x for successes, 4.x.x when delayed
     * @param remoteMta the host name of the server that decided, when one did
     * @param diagnostic that server's reply on one line ("550 5.1.1 &lt;x@y&gt;: user unknown"), when a reply decided
     * @param willRetryUntil for a delayed recipient, when the mail system gives up
     * @param explanation a sentence for the person reading the report when no reply says it (e.g. a DNS failure)
     */
    public DsnRecipient(String recipient, RecipientDsn dsn, DsnAction action, String status,
                        Optional<String> remoteMta, Optional<String> diagnostic, Instant lastAttempt,
                        Optional<Instant> willRetryUntil, Optional<String> explanation) {
        this.recipient = Objects.requireNonNull(recipient, "recipient");
        this.dsn = Objects.requireNonNull(dsn, "dsn");
        this.action = Objects.requireNonNull(action, "action");
        this.status = Objects.requireNonNull(status, "status");
        this.remoteMta = Objects.requireNonNull(remoteMta, "remoteMta").filter(s -> !s.isEmpty());
        this.diagnostic = Objects.requireNonNull(diagnostic, "diagnostic").filter(s -> !s.isEmpty());
        this.lastAttempt = Objects.requireNonNull(lastAttempt, "lastAttempt");
        this.willRetryUntil = Objects.requireNonNull(willRetryUntil, "willRetryUntil");
        this.explanation = Objects.requireNonNull(explanation, "explanation").filter(s -> !s.isEmpty());
        if (!STATUS.matcher(status).matches()) {
            throw new IllegalArgumentException("not an RFC 3463 status code: " + status);
        }
        char cls = status.charAt(0);
        if (action.isSuccess() && cls != '2') {
            throw new IllegalArgumentException(action.keyword() + " needs a 2.x.x status, not " + status);
        }
        if (action == DsnAction.DELAYED && cls != '4') {
            throw new IllegalArgumentException("delayed needs a 4.x.x status, not " + status);
        }
        if (action == DsnAction.FAILED && cls == '2') {
            throw new IllegalArgumentException("failed cannot have a 2.x.x status");
        }
        if (action != DsnAction.DELAYED && willRetryUntil.isPresent()) {
            throw new IllegalArgumentException("only a delayed recipient will be retried");
        }
    }

    /**
     * The report entry for an attempt's outcome: status, remote host and diagnostic from the reply (or the
     * synthesized status and the error description when no reply decided).
     */
    public static DsnRecipient fromOutcome(RecipientOutcome outcome, RecipientDsn dsn, DsnAction action,
                                           Instant lastAttempt, Optional<Instant> willRetryUntil) {
        Optional<String> diagnostic = outcome.serverReply().map(SmtpReply::toString);
        Optional<String> explanation = outcome.serverReply().isEmpty() || outcome.errorDetail().isPresent()
            ? Optional.of(outcome.describe()) : Optional.empty();
        return new DsnRecipient(outcome.recipient(), dsn, action, outcome.enhancedStatus(),
            outcome.hostName(), diagnostic, lastAttempt, willRetryUntil, explanation);
    }

    public String recipient() {
        return recipient;
    }

    public RecipientDsn dsn() {
        return dsn;
    }

    public DsnAction action() {
        return action;
    }

    public String status() {
        return status;
    }

    public Optional<String> remoteMta() {
        return remoteMta;
    }

    public Optional<String> diagnostic() {
        return diagnostic;
    }

    public Instant lastAttempt() {
        return lastAttempt;
    }

    public Optional<Instant> willRetryUntil() {
        return willRetryUntil;
    }

    public Optional<String> explanation() {
        return explanation;
    }
}
