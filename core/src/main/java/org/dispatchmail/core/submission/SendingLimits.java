package org.dispatchmail.core.submission;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Per-login limits over the last hour, counted across every node: messages, and recipients. The last
 * hour is read once when a transaction starts and checked then and at each recipient; the count grows
 * when a message is accepted, so concurrent sessions of one login can overshoot by what they have in
 * flight.
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

    /** What a login sent over the last hour: read once per transaction, then checked at MAIL and each RCPT. */
    public static final class HourlyUsage {
        static final HourlyUsage NONE = new HourlyUsage(0, 0);

        private final int messages;
        private final int recipients;

        HourlyUsage(int messages, int recipients) {
            this.messages = messages;
            this.recipients = recipients;
        }

        public int messages() {
            return messages;
        }

        public int recipients() {
            return recipients;
        }
    }

    /** The login's last hour, from every node; nothing is read while both limits are off. */
    public HourlyUsage usageOf(String login) {
        if (maxMessagesPerHour == 0 && maxRecipientsPerHour == 0) {
            return HourlyUsage.NONE;
        }
        List<Integer> recent = recent(login);
        return new HourlyUsage(recent.size(), recent.stream().mapToInt(Integer::intValue).sum());
    }

    /** Why a new message may not start now, if it may not. */
    public Optional<String> refuseMessage(String login, HourlyUsage used) {
        if (maxMessagesPerHour == 0 || used.messages() < maxMessagesPerHour) {
            return Optional.empty();
        }
        return Optional.of("login " + login + " reached its limit of " + maxMessagesPerHour
            + " messages per hour; try again later");
    }

    /** Why one more recipient may not be added, if it may not, given those already in this transaction. */
    public Optional<String> refuseRecipient(String login, HourlyUsage used, int inThisTransaction) {
        if (maxRecipientsPerHour == 0 || used.recipients() + inThisTransaction < maxRecipientsPerHour) {
            return Optional.empty();
        }
        return Optional.of("login " + login + " reached its limit of " + maxRecipientsPerHour
            + " recipients per hour; try again later");
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
