package org.dispatchmail.core.mtasts;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;

/** The delivery.mtaSts* parameters of dispatch.properties. */
public final class MtaStsSettings {
    /** RFC 8461 §3.3 recommends a timeout of one minute for the policy fetch. */
    static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofMinutes(1);
    static final Duration DEFAULT_RECHECK_INTERVAL = Duration.ofMinutes(1);

    private final boolean enabled;
    private final Duration fetchTimeout;
    private final Duration recheckInterval;

    private MtaStsSettings(ConfigReader config) {
        this.enabled = onOff(config, "delivery.mtaSts", true);
        this.fetchTimeout = within(config, "delivery.mtaSts.fetchTimeout", DEFAULT_FETCH_TIMEOUT,
            Duration.ofSeconds(1), Duration.ofMinutes(5), "1s and 5m");
        this.recheckInterval = within(config, "delivery.mtaSts.recheckInterval", DEFAULT_RECHECK_INTERVAL,
            Duration.ofSeconds(1), Duration.ofHours(1), "1s and 1h");
    }

    public static MtaStsSettings from(ConfigReader config) {
        return new MtaStsSettings(config);
    }

    /** Whether delivery looks for and applies MTA-STS policies (on by default). */
    public boolean enabled() {
        return enabled;
    }

    /** The longest a policy fetch may take, from the request to the last byte. */
    public Duration fetchTimeout() {
        return fetchTimeout;
    }

    /** How long a node uses a domain's answer before it looks at DNS and the shared store again. */
    public Duration recheckInterval() {
        return recheckInterval;
    }

    private static boolean onOff(ConfigReader config, String key, boolean defaultValue) {
        Optional<String> raw = config.optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        switch (raw.get().trim().toLowerCase(Locale.ROOT)) {
            case "on":
                return true;
            case "off":
                return false;
            default:
                throw config.error(key, "'" + raw.get() + "' is not on or off");
        }
    }

    private static Duration within(ConfigReader config, String key, Duration defaultValue, Duration min, Duration max,
                                   String range) {
        Duration value = config.duration(key, defaultValue);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw config.error(key, "'" + config.optional(key).orElse("").trim() + "' must be between " + range);
        }
        return value;
    }
}
