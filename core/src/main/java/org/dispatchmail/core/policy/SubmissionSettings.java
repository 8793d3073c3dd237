package org.dispatchmail.core.policy;

import java.time.Duration;

import org.dispatchmail.core.config.ConfigReader;

/** The submission.* parameters of dispatch.properties. */
public final class SubmissionSettings {
    private final SenderAlignment.Mode senderAlignment;
    private final int authMaxFailures;
    private final Duration authFailureWindow;
    private final int passwordIterations;
    private final int maxMessagesPerHour;
    private final int maxRecipientsPerHour;
    private final int maxRecipientsPerMessage;
    private final CassandraDownPolicy limitsWhenCassandraDown;

    /** What MAIL FROM and RCPT TO answer when the sending limits cannot be read from Cassandra. */
    public enum CassandraDownPolicy {
        /** 451 4.3.0: the client tries again later (the default: a limit nobody can check is not given away) */
        REFUSE,
        /** the limits are not enforced until Cassandra answers again */
        ALLOW
    }

    private SubmissionSettings(ConfigReader config) {
        this.senderAlignment = config.enumValue("submission.senderAlignment", SenderAlignment.Mode.class,
            SenderAlignment.Mode.STRICT);
        this.authMaxFailures = config.integer("submission.authMaxFailures", 5, 1, 1000);
        this.authFailureWindow = config.duration("submission.authFailureWindow", Duration.ofMinutes(10));
        if (authFailureWindow.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("submission.authFailureWindow", "must be at least 1s");
        }
        this.passwordIterations = config.integer("submission.passwordIterations", 310_000, 10_000, 10_000_000);
        this.maxMessagesPerHour = config.integer("submission.maxMessagesPerHour", 1000, 0, 10_000_000);
        this.maxRecipientsPerHour = config.integer("submission.maxRecipientsPerHour", 5000, 0, 100_000_000);
        this.maxRecipientsPerMessage = config.integer("submission.maxRecipientsPerMessage", 100, 1, 100_000);
        this.limitsWhenCassandraDown = config.enumValue("submission.limitsWhenCassandraDown", CassandraDownPolicy.class,
            CassandraDownPolicy.REFUSE);
    }

    public static SubmissionSettings from(ConfigReader config) {
        return new SubmissionSettings(config);
    }

    public SenderAlignment.Mode senderAlignment() {
        return senderAlignment;
    }

    public int authMaxFailures() {
        return authMaxFailures;
    }

    public Duration authFailureWindow() {
        return authFailureWindow;
    }

    public int passwordIterations() {
        return passwordIterations;
    }

    public int maxMessagesPerHour() {
        return maxMessagesPerHour;
    }

    public int maxRecipientsPerHour() {
        return maxRecipientsPerHour;
    }

    public int maxRecipientsPerMessage() {
        return maxRecipientsPerMessage;
    }

    public CassandraDownPolicy limitsWhenCassandraDown() {
        return limitsWhenCassandraDown;
    }
}
