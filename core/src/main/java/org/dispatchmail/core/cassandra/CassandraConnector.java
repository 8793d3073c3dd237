package org.dispatchmail.core.cassandra;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.KeyStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import org.dispatchmail.core.config.CassandraSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.tracker.RequestTracker;

/** Opens the driver session, waiting a bounded time for the cluster, with one clear error at the end. */
public final class CassandraConnector {
    private static final Logger LOGGER = LoggerFactory.getLogger(CassandraConnector.class);
    private static final Duration PAUSE = Duration.ofSeconds(1);

    private CassandraConnector() {
    }

    /** @param clock measures the wait for the cluster against cassandra.startupTimeout */
    public static CqlSession connect(CassandraSettings settings, Clock clock) {
        return connect(settings, clock, new CassandraRequestCount());
    }

    /**
     * @param clock    measures the wait for the cluster against cassandra.startupTimeout
     * @param requests told of every request the session sends (a {@link CassandraRequestCount} counts them)
     */
    public static CqlSession connect(CassandraSettings settings, Clock clock, RequestTracker requests) {
        Instant deadline = clock.instant().plus(settings.startupTimeout());
        RuntimeException last;
        int tries = 0;
        do {
            tries++;
            try {
                CqlSession session = builder(settings).addRequestTracker(requests).build();
                LOGGER.info("Connected to Cassandra {} (datacenter {}) after {} attempt(s)",
                    settings.contactPoints(), settings.localDatacenter(), tries);
                return session;
            } catch (RuntimeException e) {
                last = e;
                LOGGER.debug("Cassandra not reachable yet: {}", e.getMessage());
            }
            sleep(PAUSE);
        } while (clock.instant().isBefore(deadline));
        throw new CassandraUnavailableException("Cannot reach Cassandra at " + settings.contactPoints()
            + " (datacenter " + settings.localDatacenter() + ") within " + settings.startupTimeout().toSeconds()
            + " s (cassandra.startupTimeout): " + rootMessage(last), last);
    }

    private static CqlSessionBuilder builder(CassandraSettings settings) {
        DriverConfigLoader config = DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, settings.requestTimeout())
            .withString(DefaultDriverOption.REQUEST_CONSISTENCY, settings.consistency().name())
            .withString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY, settings.serialConsistency().name())
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(5))
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
            // Schema changes happen only at start-up; don't let the debouncer add a second to each statement.
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ZERO)
            .build();
        // The driver lives in James's class loader; Dispatch's classes in the extensions-jars one.
        CqlSessionBuilder builder = CqlSession.builder()
            .withClassLoader(CqlSession.class.getClassLoader())
            .withConfigLoader(config)
            .withLocalDatacenter(settings.localDatacenter());
        settings.contactPoints().forEach(point -> builder.addContactPoint(point));
        if (settings.username().isPresent()) {
            builder.withAuthCredentials(settings.username().get(), settings.password().orElse(""));
        }
        if (settings.tls()) {
            builder.withSslContext(sslContext(settings));
        }
        return builder;
    }

    private static SSLContext sslContext(CassandraSettings settings) {
        try {
            if (settings.truststore().isEmpty()) {
                return SSLContext.getDefault();
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            char[] password = settings.truststorePassword().map(String::toCharArray).orElse(null);
            try (InputStream in = Files.newInputStream(settings.truststore().get())) {
                trust.load(in, password);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException("cassandra.tls.truststore: cannot load " + settings.truststore().orElse(null)
                + ": " + e.getMessage(), e);
        }
    }

    static String rootMessage(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = error.getMessage();
        return cause == error ? message : message + " (" + cause.getMessage() + ")";
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CassandraUnavailableException("Interrupted while waiting for Cassandra", e);
        }
    }
}
