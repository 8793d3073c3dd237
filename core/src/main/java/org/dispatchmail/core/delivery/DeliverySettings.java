package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;

/** How outbound SMTP connections are made. Timeout defaults follow RFC 5321 §4.5.3.2. */
public final class DeliverySettings {

    private final int remotePort;
    private final Duration connectTimeout;
    private final Duration greetingTimeout;
    private final Duration commandTimeout;
    private final Duration dataBlockTimeout;
    private final Duration finalDotTimeout;
    private final String heloName;
    private final int maxMxHosts;
    private final int maxAddressesPerHost;

    private DeliverySettings(Builder b) {
        this.remotePort = b.remotePort;
        this.connectTimeout = b.connectTimeout;
        this.greetingTimeout = b.greetingTimeout;
        this.commandTimeout = b.commandTimeout;
        this.dataBlockTimeout = b.dataBlockTimeout;
        this.finalDotTimeout = b.finalDotTimeout;
        this.heloName = b.heloName != null ? b.heloName : localHostName();
        this.maxMxHosts = b.maxMxHosts;
        this.maxAddressesPerHost = b.maxAddressesPerHost;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** All defaults. */
    public static DeliverySettings defaults() {
        return builder().build();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    public int remotePort() {
        return remotePort;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Wait for the 220 greeting (RFC 5321: 5 minutes). */
    public Duration greetingTimeout() {
        return greetingTimeout;
    }

    /** Wait for replies to EHLO/HELO, MAIL, RCPT, DATA and QUIT (RFC 5321: 5 minutes). */
    public Duration commandTimeout() {
        return commandTimeout;
    }

    /** Longest time one block of message data may take to be written (RFC 5321: 3 minutes). */
    public Duration dataBlockTimeout() {
        return dataBlockTimeout;
    }

    /** Wait for the reply to the final dot (RFC 5321: 10 minutes). */
    public Duration finalDotTimeout() {
        return finalDotTimeout;
    }

    public String heloName() {
        return heloName;
    }

    public int maxMxHosts() {
        return maxMxHosts;
    }

    public int maxAddressesPerHost() {
        return maxAddressesPerHost;
    }

    public Builder toBuilder() {
        return new Builder()
                .remotePort(remotePort)
                .connectTimeout(connectTimeout)
                .greetingTimeout(greetingTimeout)
                .commandTimeout(commandTimeout)
                .dataBlockTimeout(dataBlockTimeout)
                .finalDotTimeout(finalDotTimeout)
                .heloName(heloName)
                .maxMxHosts(maxMxHosts)
                .maxAddressesPerHost(maxAddressesPerHost);
    }

    @Override
    public String toString() {
        return "DeliverySettings{port=" + remotePort + ", connect=" + connectTimeout + ", greeting=" + greetingTimeout
                + ", command=" + commandTimeout + ", dataBlock=" + dataBlockTimeout + ", finalDot=" + finalDotTimeout
                + ", helo=" + heloName + ", maxMxHosts=" + maxMxHosts
                + ", maxAddressesPerHost=" + maxAddressesPerHost + "}";
    }

    public static final class Builder {
        private int remotePort = 25;
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration greetingTimeout = Duration.ofMinutes(5);
        private Duration commandTimeout = Duration.ofMinutes(5);
        private Duration dataBlockTimeout = Duration.ofMinutes(3);
        private Duration finalDotTimeout = Duration.ofMinutes(10);
        private String heloName;
        private int maxMxHosts = 5;
        private int maxAddressesPerHost = 2;

        private Builder() {
        }

        public Builder remotePort(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            this.remotePort = port;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        public Builder greetingTimeout(Duration timeout) {
            this.greetingTimeout = positive(timeout, "greetingTimeout");
            return this;
        }

        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = positive(timeout, "commandTimeout");
            return this;
        }

        public Builder dataBlockTimeout(Duration timeout) {
            this.dataBlockTimeout = positive(timeout, "dataBlockTimeout");
            return this;
        }

        public Builder finalDotTimeout(Duration timeout) {
            this.finalDotTimeout = positive(timeout, "finalDotTimeout");
            return this;
        }

        /** The name announced in EHLO/HELO; unset means the local host's canonical name. */
        public Builder heloName(String name) {
            String trimmed = Objects.requireNonNull(name, "heloName").trim();
            if (trimmed.isEmpty() || trimmed.chars().anyMatch(c -> c <= ' ')) {
                throw new IllegalArgumentException("invalid HELO name: '" + name + "'");
            }
            this.heloName = trimmed;
            return this;
        }

        public Builder maxMxHosts(int max) {
            this.maxMxHosts = atLeastOne(max, "maxMxHosts");
            return this;
        }

        public Builder maxAddressesPerHost(int max) {
            this.maxAddressesPerHost = atLeastOne(max, "maxAddressesPerHost");
            return this;
        }

        public DeliverySettings build() {
            return new DeliverySettings(this);
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            // Socket timeouts are int milliseconds
            if (d.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " too long: " + d);
            }
            return d;
        }

        private static int atLeastOne(int value, String what) {
            if (value < 1) {
                throw new IllegalArgumentException(what + " must be at least 1: " + value);
            }
            return value;
        }
    }
}
