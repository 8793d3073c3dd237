package org.dispatchmail.core.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;

/** How Dispatch reaches its Cassandra cluster: the cassandra.* parameters of dispatch.properties. */
public final class CassandraSettings {
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z][a-zA-Z0-9_]{0,47}");

    private final List<InetSocketAddress> contactPoints;
    private final String localDatacenter;
    private final String keyspace;
    private final Map<String, Integer> replication;
    private final DefaultConsistencyLevel consistency;
    private final DefaultConsistencyLevel serialConsistency;
    private final Optional<String> username;
    private final Optional<String> password;
    private final boolean tls;
    private final Optional<Path> truststore;
    private final Optional<String> truststorePassword;
    private final Duration startupTimeout;
    private final Duration requestTimeout;

    private CassandraSettings(ConfigReader config) {
        List<String> points = config.list("cassandra.contactPoints");
        if (points.isEmpty()) {
            throw config.error("cassandra.contactPoints", "is required: host:port of at least one Cassandra node"
                + " (the dispatch launcher fills it in when it starts its embedded Cassandra)");
        }
        List<InetSocketAddress> parsed = new ArrayList<>();
        for (String point : points) {
            parsed.add(config.parse("cassandra.contactPoints", point, CassandraSettings::hostPort));
        }
        this.contactPoints = List.copyOf(parsed);
        this.localDatacenter = config.string("cassandra.localDatacenter", "datacenter1");
        this.keyspace = config.string("cassandra.keyspace", "dispatch");
        if (!IDENTIFIER.matcher(keyspace).matches()) {
            throw config.error("cassandra.keyspace", "'" + keyspace + "' is not a valid keyspace name (letters, digits, _)");
        }
        this.replication = replication(config);
        this.consistency = config.enumValue("cassandra.consistency", DefaultConsistencyLevel.class,
            DefaultConsistencyLevel.LOCAL_QUORUM);
        this.serialConsistency = config.enumValue("cassandra.serialConsistency", DefaultConsistencyLevel.class,
            DefaultConsistencyLevel.LOCAL_SERIAL);
        if (!serialConsistency.isSerial()) {
            throw config.error("cassandra.serialConsistency", "must be SERIAL or LOCAL_SERIAL");
        }
        this.username = config.optional("cassandra.username");
        this.password = password(config);
        if (username.isPresent() != password.isPresent()) {
            throw config.error(username.isPresent() ? "cassandra.password" : "cassandra.username",
                "is required when the other of cassandra.username / cassandra.password (or cassandra.passwordFile)"
                    + " is set");
        }
        this.tls = config.bool("cassandra.tls", false);
        this.truststore = config.optional("cassandra.tls.truststore").map(Path::of);
        this.truststorePassword = config.optional("cassandra.tls.truststorePassword");
        if (truststore.isPresent() && !truststore.get().toFile().isFile()) {
            throw config.error("cassandra.tls.truststore", "'" + truststore.get() + "' is not a readable file");
        }
        this.startupTimeout = config.duration("cassandra.startupTimeout", Duration.ofSeconds(60));
        this.requestTimeout = config.duration("cassandra.requestTimeout", Duration.ofSeconds(10));
    }

    public static CassandraSettings from(ConfigReader config) {
        return new CassandraSettings(config);
    }

    /** cassandra.password, or the content of cassandra.passwordFile (kept out of the properties and the environment). */
    private static Optional<String> password(ConfigReader config) {
        Optional<String> inline = config.optional("cassandra.password");
        Optional<String> file = config.optional("cassandra.passwordFile");
        if (file.isEmpty()) {
            return inline;
        }
        if (inline.isPresent()) {
            throw config.error("cassandra.passwordFile", "and cassandra.password are both set: keep one");
        }
        String password;
        try {
            password = SecretFile.read(Path.of(file.get()));
        } catch (IllegalArgumentException e) {
            throw config.error("cassandra.passwordFile", e.getMessage());
        }
        if (password.isEmpty()) {
            throw config.error("cassandra.passwordFile", file.get() + " is empty");
        }
        return Optional.of(password);
    }

    /** "SimpleStrategy" with cassandra.replicationFactor, or NetworkTopologyStrategy with cassandra.replication = dc1:3,dc2:3. */
    private static Map<String, Integer> replication(ConfigReader config) {
        Map<String, Integer> result = new LinkedHashMap<>();
        List<String> perDatacenter = config.list("cassandra.replication");
        if (perDatacenter.isEmpty()) {
            result.put("", config.integer("cassandra.replicationFactor", 1, 1, 99));
            return result;
        }
        for (String item : perDatacenter) {
            String[] parts = item.split(":");
            if (parts.length != 2 || !IDENTIFIER.matcher(parts[0].trim()).matches()) {
                throw config.error("cassandra.replication", "'" + item + "' is not datacenter:factor");
            }
            try {
                int factor = Integer.parseInt(parts[1].trim());
                if (factor < 1) {
                    throw new NumberFormatException();
                }
                result.put(parts[0].trim(), factor);
            } catch (NumberFormatException e) {
                throw config.error("cassandra.replication", "'" + item + "' has no positive replication factor");
            }
        }
        return result;
    }

    /** Parses host:port, [v6]:port or a bare host (port 9042). */
    static InetSocketAddress hostPort(String text) {
        String host = text;
        int port = 9042;
        if (text.startsWith("[")) {
            int end = text.indexOf(']');
            if (end < 0) {
                throw new IllegalArgumentException("missing ']' in IPv6 address");
            }
            host = text.substring(1, end);
            if (text.length() > end + 1) {
                port = port(text.substring(end + 1));
            }
        } else if (text.indexOf(':') >= 0 && text.indexOf(':') == text.lastIndexOf(':')) {
            host = text.substring(0, text.indexOf(':'));
            port = port(text.substring(text.indexOf(':')));
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("no host name");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private static int port(String colonAndPort) {
        if (!colonAndPort.startsWith(":")) {
            throw new IllegalArgumentException("expected ':port'");
        }
        try {
            int port = Integer.parseInt(colonAndPort.substring(1));
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port " + port + " is out of range");
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + colonAndPort.substring(1) + "' is not a port number");
        }
    }

    public List<InetSocketAddress> contactPoints() {
        return contactPoints;
    }

    public String localDatacenter() {
        return localDatacenter;
    }

    public String keyspace() {
        return keyspace;
    }

    /** The replication map for CREATE KEYSPACE, in CQL. */
    public String replicationCql() {
        if (replication.containsKey("")) {
            return "{'class': 'SimpleStrategy', 'replication_factor': " + replication.get("") + "}";
        }
        StringBuilder cql = new StringBuilder("{'class': 'NetworkTopologyStrategy'");
        replication.forEach((dc, factor) -> cql.append(", '").append(dc).append("': ").append(factor));
        return cql.append('}').toString();
    }

    public DefaultConsistencyLevel consistency() {
        return consistency;
    }

    public DefaultConsistencyLevel serialConsistency() {
        return serialConsistency;
    }

    public Optional<String> username() {
        return username;
    }

    public Optional<String> password() {
        return password;
    }

    public boolean tls() {
        return tls;
    }

    public Optional<Path> truststore() {
        return truststore;
    }

    public Optional<String> truststorePassword() {
        return truststorePassword;
    }

    public Duration startupTimeout() {
        return startupTimeout;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }
}
