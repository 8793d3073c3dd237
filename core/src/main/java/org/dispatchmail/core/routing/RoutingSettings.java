package org.dispatchmail.core.routing;

import java.time.Duration;
import java.util.Objects;
import org.dispatchmail.core.config.ConfigReader;

/** Where each domain's mail goes (transport rules, delivery.tls) and how long unreachable servers are skipped. */
public final class RoutingSettings {

    public static final String DEAD_HOST_TIME_KEY = "delivery.deadHostTime";
    public static final Duration DEFAULT_DEAD_HOST_TIME = Duration.ofMinutes(5);

    private final TransportRules rules;
    private final Duration deadHostTime;

    public RoutingSettings(TransportRules rules, Duration deadHostTime) {
        this.rules = Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(deadHostTime, "deadHostTime");
        if (deadHostTime.isNegative()) {
            throw new IllegalArgumentException("dead host time must not be negative: " + deadHostTime);
        }
        this.deadHostTime = deadHostTime;
    }

    /** Every domain by MX with opportunistic TLS; unreachable servers skipped for 5 minutes. */
    public static RoutingSettings defaults() {
        return new RoutingSettings(TransportRules.mxOnly(TlsPolicy.OPPORTUNISTIC), DEFAULT_DEAD_HOST_TIME);
    }

    /** Reads transport.*, delivery.tls and delivery.deadHostTime; a mistake fails naming its key. */
    public static RoutingSettings from(ConfigReader config) {
        return new RoutingSettings(TransportRules.from(config),
                config.duration(DEAD_HOST_TIME_KEY, DEFAULT_DEAD_HOST_TIME));
    }

    public TransportRules rules() {
        return rules;
    }

    /** How long an address:port that refused or ignored a connection is skipped; zero: never. */
    public Duration deadHostTime() {
        return deadHostTime;
    }

    @Override
    public String toString() {
        return "RoutingSettings{rules=" + rules.describe() + ", deadHostTime=" + deadHostTime + "}";
    }
}
