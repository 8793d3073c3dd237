package org.dispatchmail.core.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Per-login limits over the last hour, counted across every node: messages, and recipients. The
 * checks run when a transaction starts and at each recipient; the count grows when a message is
 * accepted, so concurrent sessions of one login can overshoot by what they have in flight.
 */
public final class SendingLimits {
    private static final Duration WINDOW = Duration.ofHours(1);

    private final UsageStore usage;
    private final int maxMessagesPerHour;
    private final int maxRecipientsPerHour;
    private final Clock clock;

    /** A limit of 0 means none. */
    public SendingLimits(UsageStore usage, int maxMessagesPerHour, int maxRecipientsPerHour, Clock clock) {
        this.usage = usage;
        this.maxMessagesPerHour = maxMessagesPerHour;
        this.maxRecipientsPerHour = maxRecipientsPerHour;
        this.clock = clock;
    }

    /** Why a new message may not start now, if it may not. */
    public Optional<String> refuseMessage(String login) {
        if (maxMessagesPerHour == 0) {
            return Optional.empty();
        }
        int sent = recent(login).size();
        return sent >= maxMessagesPerHour
            ? Optional.of("login " + login + " reached its limit of " + maxMessagesPerHour + " messages per hour; try again later")
            : Optional.empty();
    }

    /** Why one more recipient may not be added, if it may not, given those already in this transaction. */
    public Optional<String> refuseRecipient(String login, int inThisTransaction) {
        if (maxRecipientsPerHour == 0) {
            return Optional.empty();
        }
        int recipients = recent(login).stream().mapToInt(Integer::intValue).sum() + inThisTransaction;
        return recipients >= maxRecipientsPerHour
            ? Optional.of("login " + login + " reached its limit of " + maxRecipientsPerHour + " recipients per hour; try again later")
            : Optional.empty();
    }

    /** Counts an accepted message; nothing is written while both limits are off (nothing would read it). */
    public void recordAccepted(String login, int recipients) {
        if (maxMessagesPerHour == 0 && maxRecipientsPerHour == 0) {
            return;
        }
        usage.record(login, clock.instant(), recipients);
    }

    private List<Integer> recent(String login) {
        Instant now = clock.instant();
        return usage.between(login, now.minus(WINDOW), now);
    }
}
