package org.dispatchmail.core.delivery;

import java.io.File;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import org.dispatchmail.core.config.ConfigReader;

/** How outbound SMTP connections are made. Timeout defaults follow RFC 5321 §4.5.3.2. */
public final class DeliverySettings {

    private final int remotePort;
    private final Duration connectTimeout;
    private final Duration greetingTimeout;
    private final Duration commandTimeout;
    private final Duration dataBlockTimeout;
    private final Duration finalDotTimeout;
    private final Duration transactionTimeout;
    private final String heloName;
    private final int maxMxHosts;
    private final int maxAddressesPerHost;
    private final KeyStore trustStore;
    private final Duration connectionIdleTime;
    private final int maxMessagesPerConnection;
    private final int maxConnectionsPerHost;
    private final Duration connectionWaitTime;
    private final List<InetAddress> sourceAddresses;

    private DeliverySettings(Builder b) {
        this.remotePort = b.remotePort;
        this.connectTimeout = b.connectTimeout;
        this.greetingTimeout = b.greetingTimeout;
        this.commandTimeout = b.commandTimeout;
        this.dataBlockTimeout = b.dataBlockTimeout;
        this.finalDotTimeout = b.finalDotTimeout;
        this.transactionTimeout = b.transactionTimeout;
        this.heloName = b.heloName != null ? b.heloName : localHostName();
        this.maxMxHosts = b.maxMxHosts;
        this.maxAddressesPerHost = b.maxAddressesPerHost;
        this.trustStore = b.trustStore;
        this.connectionIdleTime = b.connectionIdleTime;
        this.maxMessagesPerConnection = b.maxMessagesPerConnection;
        this.maxConnectionsPerHost = b.maxConnectionsPerHost;
        this.connectionWaitTime = b.connectionWaitTime;
        this.sourceAddresses = List.copyOf(b.sourceAddresses);
    }

    /** Reads every {@code delivery.*} key; a bad value fails with a message naming its key. */
    public static DeliverySettings from(ConfigReader config) {
        DeliverySettings defaults = defaults();
        Builder builder = defaults.toBuilder()
            .remotePort(config.integer("delivery.remotePort", defaults.remotePort(), 1, 65535))
            .maxMxHosts(config.integer("delivery.maxMxHosts", defaults.maxMxHosts(), 1, 100))
            .maxAddressesPerHost(config.integer("delivery.maxAddressesPerHost", defaults.maxAddressesPerHost(), 1, 100))
            .maxMessagesPerConnection(config.integer("delivery.maxMessagesPerConnection",
                defaults.maxMessagesPerConnection(), 1, 100_000))
            .maxConnectionsPerHost(config.integer("delivery.maxConnectionsPerHost",
                defaults.maxConnectionsPerHost(), 1, 10_000));
        duration(config, "delivery.connectTimeout", defaults.connectTimeout(), builder::connectTimeout);
        duration(config, "delivery.greetingTimeout", defaults.greetingTimeout(), builder::greetingTimeout);
        duration(config, "delivery.commandTimeout", defaults.commandTimeout(), builder::commandTimeout);
        duration(config, "delivery.dataBlockTimeout", defaults.dataBlockTimeout(), builder::dataBlockTimeout);
        duration(config, "delivery.finalDotTimeout", defaults.finalDotTimeout(), builder::finalDotTimeout);
        duration(config, "delivery.transactionTimeout", defaults.transactionTimeout(), builder::transactionTimeout);
        duration(config, "delivery.connectionIdleTime", defaults.connectionIdleTime(), builder::connectionIdleTime);
        duration(config, "delivery.connectionWaitTime", defaults.connectionWaitTime(), builder::connectionWaitTime);
        config.optional("delivery.heloName")
            .ifPresent(name -> config.parse("delivery.heloName", name, builder::heloName));
        List<String> sources = config.list("delivery.sourceAddress");
        if (!sources.isEmpty()) {
            List<InetAddress> addresses = new ArrayList<>();
            for (String source : sources) {
                addresses.add(config.parse("delivery.sourceAddress", source.trim(), DeliverySettings::parseLiteral));
            }
            config.parse("delivery.sourceAddress", String.join(",", sources), text -> builder.sourceAddresses(addresses));
        }
        Optional<String> trustStorePath = config.optional("delivery.tls.truststore");
        if (trustStorePath.isPresent()) {
            String password = config.string("delivery.tls.truststorePassword", "");
            builder.trustStore(config.parse("delivery.tls.truststore", trustStorePath.get().trim(),
                path -> loadTrustStore(path, password)));
        }
        return builder.build();
    }

    // The builder's own checks (positive, fits a socket timeout) reported under the key's name
    private static void duration(ConfigReader config, String key, Duration defaultValue,
                                 Function<Duration, Builder> setter) {
        Duration value = config.duration(key, defaultValue);
        config.parse(key, config.optional(key).orElse(value.toString()), text -> setter.apply(value));
    }

    /** An IPv4 or IPv6 literal; a host name is refused (no DNS lookup at start-up). */
    static InetAddress parseLiteral(String text) {
        boolean literal = text.matches("[0-9.]+") || (text.contains(":") && text.matches("[0-9A-Fa-f:.]+"));
        if (!literal) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address literal");
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 address literal");
        }
    }

    /** Loads a JKS or PKCS12 file (the format is detected). */
    static KeyStore loadTrustStore(String path, String password) {
        File file = new File(path);
        if (!file.isFile()) {
            throw new IllegalArgumentException("no such file");
        }
        try {
            KeyStore store = KeyStore.getInstance(file, password.isEmpty() ? null : password.toCharArray());
            if (store.size() == 0) {
                throw new IllegalArgumentException("the trust store holds no certificate");
            }
            return store;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot read the trust store (wrong password or format?): " + e.getMessage());
        }
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

    /**
     * Longest time one delivery to one server may take, whatever the server does: connect, greeting, TLS, every
     * reply and the data, one byte at a time or not at all. Past it the connection is closed and the recipients
     * still undecided get a temporary failure.
     */
    public Duration transactionTimeout() {
        return transactionTimeout;
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

    /** The certificates that REQUIRED and IMPLICIT TLS trust; empty means the JDK's default trust store. */
    public Optional<KeyStore> trustStore() {
        return Optional.ofNullable(trustStore);
    }

    /** How long an unused connection is kept for the next message to the same server. */
    public Duration connectionIdleTime() {
        return connectionIdleTime;
    }

    /** Transactions on one connection before it is closed and a fresh one is opened. */
    public int maxMessagesPerConnection() {
        return maxMessagesPerConnection;
    }

    /** Connections open at once (busy or idle) to one server address and port. */
    public int maxConnectionsPerHost() {
        return maxConnectionsPerHost;
    }

    /** How long a message waits for a free connection slot before it is deferred. */
    public Duration connectionWaitTime() {
        return connectionWaitTime;
    }

    /** Local addresses to connect from, at most one per address family; empty means the system's choice. */
    public List<InetAddress> sourceAddresses() {
        return sourceAddresses;
    }

    /** The configured source address of the same family as {@code remote}, if any. */
    public Optional<InetAddress> sourceAddressFor(InetAddress remote) {
        boolean v4 = remote instanceof Inet4Address;
        return sourceAddresses.stream().filter(a -> (a instanceof Inet4Address) == v4).findFirst();
    }

    public Builder toBuilder() {
        return new Builder()
                .remotePort(remotePort)
                .connectTimeout(connectTimeout)
                .greetingTimeout(greetingTimeout)
                .commandTimeout(commandTimeout)
                .dataBlockTimeout(dataBlockTimeout)
                .finalDotTimeout(finalDotTimeout)
                .transactionTimeout(transactionTimeout)
                .heloName(heloName)
                .maxMxHosts(maxMxHosts)
                .maxAddressesPerHost(maxAddressesPerHost)
                .trustStore(trustStore)
                .connectionIdleTime(connectionIdleTime)
                .maxMessagesPerConnection(maxMessagesPerConnection)
                .maxConnectionsPerHost(maxConnectionsPerHost)
                .connectionWaitTime(connectionWaitTime)
                .sourceAddresses(sourceAddresses);
    }

    @Override
    public String toString() {
        return "DeliverySettings{port=" + remotePort + ", connect=" + connectTimeout + ", greeting=" + greetingTimeout
                + ", command=" + commandTimeout + ", dataBlock=" + dataBlockTimeout + ", finalDot=" + finalDotTimeout
                + ", transaction=" + transactionTimeout + ", helo=" + heloName + ", maxMxHosts=" + maxMxHosts
                + ", maxAddressesPerHost=" + maxAddressesPerHost
                + ", trustStore=" + (trustStore == null ? "default" : "configured")
                + ", idle=" + connectionIdleTime + ", maxMessagesPerConnection=" + maxMessagesPerConnection
                + ", maxConnectionsPerHost=" + maxConnectionsPerHost + ", connectionWait=" + connectionWaitTime
                + ", source=" + sourceAddresses + "}";
    }

    public static final class Builder {
        private int remotePort = 25;
        private Duration connectTimeout = Duration.ofSeconds(30);
        private Duration greetingTimeout = Duration.ofMinutes(5);
        private Duration commandTimeout = Duration.ofMinutes(5);
        private Duration dataBlockTimeout = Duration.ofMinutes(3);
        private Duration finalDotTimeout = Duration.ofMinutes(10);
        private Duration transactionTimeout = Duration.ofMinutes(10);
        private String heloName;
        private int maxMxHosts = 5;
        private int maxAddressesPerHost = 2;
        private KeyStore trustStore;
        private Duration connectionIdleTime = Duration.ofSeconds(30);
        private int maxMessagesPerConnection = 100;
        private int maxConnectionsPerHost = 10;
        private Duration connectionWaitTime = Duration.ofSeconds(60);
        private List<InetAddress> sourceAddresses = List.of();

        private Builder() {
        }

        /** Certificates trusted for verified TLS; null for the JDK's default trust store. */
        public Builder trustStore(KeyStore store) {
            this.trustStore = store;
            return this;
        }

        public Builder connectionIdleTime(Duration time) {
            this.connectionIdleTime = positive(time, "connectionIdleTime");
            return this;
        }

        public Builder maxMessagesPerConnection(int max) {
            this.maxMessagesPerConnection = atLeastOne(max, "maxMessagesPerConnection");
            return this;
        }

        public Builder maxConnectionsPerHost(int max) {
            this.maxConnectionsPerHost = atLeastOne(max, "maxConnectionsPerHost");
            return this;
        }

        public Builder connectionWaitTime(Duration time) {
            this.connectionWaitTime = positive(time, "connectionWaitTime");
            return this;
        }

        /** At most one IPv4 and one IPv6 address. */
        public Builder sourceAddresses(List<InetAddress> addresses) {
            long v4 = addresses.stream().filter(a -> a instanceof Inet4Address).count();
            if (v4 > 1 || addresses.size() - v4 > 1) {
                throw new IllegalArgumentException("at most one IPv4 and one IPv6 address: " + addresses);
            }
            this.sourceAddresses = List.copyOf(addresses);
            return this;
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

        public Builder transactionTimeout(Duration timeout) {
            this.transactionTimeout = positive(timeout, "transactionTimeout");
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
