package org.dispatchmail.core.submission;

import java.time.Duration;
import java.util.Arrays;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.submission.AuthMechanisms;
import org.dispatchmail.core.submission.ThrottleSettings;

/** The submission.* parameters of dispatch.properties. */
public final class SubmissionSettings {
    private final SenderAlignment.Mode senderAlignment;
    private final ThrottleSettings authThrottle;
    private final AuthMechanisms mechanisms;
    private final int passwordIterations;
    private final int scramIterations;
    private final int authThreads;
    private final int authMaxConcurrentPerAddress;
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
        if (config.optional("submission.authMaxFailures").isPresent()) {
            throw config.error("submission.authMaxFailures", "was split in two: set"
                + " submission.authMaxFailuresPerAddress (failures from one client address) and"
                + " submission.authMaxFailuresPerLogin (failures on one login)");
        }
        int perAddress = config.integer("submission.authMaxFailuresPerAddress", 5, 1, 1000);
        int perLogin = config.integer("submission.authMaxFailuresPerLogin", 10, 1, 1000);
        Duration window = config.duration("submission.authFailureWindow", Duration.ofMinutes(10));
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("submission.authFailureWindow", "must be at least 1s");
        }
        this.authThrottle = new ThrottleSettings(perAddress, perLogin, window);
        this.mechanisms = config.parse("submission.mechanisms", config.string("submission.mechanisms",
            String.join(" ", AuthMechanisms.DEFAULT)), text -> AuthMechanisms.of(Arrays.asList(
                text.trim().isEmpty() ? new String[0] : text.trim().split("[\\s,]+"))));
        this.passwordIterations = config.integer("submission.passwordIterations", 310_000, 10_000, 10_000_000);
        this.scramIterations = config.integer("submission.scramIterations", 10_000, 4096, 10_000_000);
        int threads = config.integer("submission.authThreads", 0, 0, 256);
        this.authThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.authMaxConcurrentPerAddress = config.integer("submission.authMaxConcurrentPerAddress", 3, 1, 1000);
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

    /** Failed AUTHs allowed per client address and per login within the window, across all nodes. */
    public ThrottleSettings authThrottle() {
        return authThrottle;
    }

    public AuthMechanisms mechanisms() {
        return mechanisms;
    }

    public int passwordIterations() {
        return passwordIterations;
    }

    /** SCRAM-SHA-256 iterations of new passwords; existing ones keep theirs until changed. */
    public int scramIterations() {
        return scramIterations;
    }

    /** Threads that hash passwords for AUTH, off the SMTP threads. */
    public int authThreads() {
        return authThreads;
    }

    /** AUTH checks (hashing or waiting out the failure delay) one client address may have running on a node. */
    public int authMaxConcurrentPerAddress() {
        return authMaxConcurrentPerAddress;
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
