package org.dispatchmail.core.intake;

import java.time.Duration;

import org.dispatchmail.core.config.ConfigReader;

/** The intake.* parameters of dispatch.properties. */
public final class IntakeSettings {
    private final Duration takeoverInterval;
    private final boolean reprocessErrors;
    private final Duration reprocessFirstDelay;
    private final Duration reprocessMaxDelay;

    private IntakeSettings(ConfigReader config) {
        this.takeoverInterval = config.duration("intake.takeoverInterval", Duration.ofSeconds(10));
        if (takeoverInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("intake.takeoverInterval", "must be at least 1s");
        }
        this.reprocessErrors = config.bool("intake.reprocessErrors", true);
        this.reprocessFirstDelay = config.duration("intake.reprocessFirstDelay", Duration.ofSeconds(10));
        this.reprocessMaxDelay = config.duration("intake.reprocessMaxDelay", Duration.ofMinutes(10));
        if (reprocessFirstDelay.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("intake.reprocessFirstDelay", "must be at least 1s");
        }
        if (reprocessMaxDelay.compareTo(reprocessFirstDelay) < 0) {
            throw config.error("intake.reprocessMaxDelay", "must be at least intake.reprocessFirstDelay");
        }
    }

    public static IntakeSettings from(ConfigReader config) {
        return new IntakeSettings(config);
    }

    /** How often a node looks for the journaled mail of nodes that stopped heartbeating. */
    public Duration takeoverInterval() {
        return takeoverInterval;
    }

    /** Whether mail kept in the error repository because Cassandra failed is processed again by itself. */
    public boolean reprocessErrors() {
        return reprocessErrors;
    }

    public Backoff reprocessBackoff() {
        return new Backoff(reprocessFirstDelay, reprocessMaxDelay);
    }
}
