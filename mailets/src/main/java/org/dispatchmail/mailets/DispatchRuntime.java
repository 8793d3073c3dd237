package org.dispatchmail.mailets;

import java.io.FileNotFoundException;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.utils.PropertiesProvider;
import org.apache.mailet.MailetContext;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.DispatchSettings;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.MetricRegistry;

/**
 * The node's one Dispatch engine, shared by the mailets and the start-up hook. It only needs
 * James's own bindings, so Guice creates it once in James's root injector.
 */
@Singleton
public class DispatchRuntime {
    private static final Logger LOGGER = LoggerFactory.getLogger(DispatchRuntime.class);
    static final String FILE = "dispatch.properties";

    private final PropertiesProvider propertiesProvider;
    private final MailetContext mailetContext;
    private final MetricRegistry metricRegistry;
    private DispatchEngine engine;

    @Inject
    public DispatchRuntime(PropertiesProvider propertiesProvider, MailetContext mailetContext,
                           MetricRegistry metricRegistry) {
        this.propertiesProvider = propertiesProvider;
        this.mailetContext = mailetContext;
        this.metricRegistry = metricRegistry;
    }

    /** Starts the engine on first use; fails with a message naming the file and the parameter. */
    public synchronized DispatchEngine engine() {
        if (engine == null) {
            try {
                DispatchSettings settings = DispatchSettings.from(new ConfigReader(FILE, readProperties()));
                JamesQueueMetrics metrics = new JamesQueueMetrics(metricRegistry);
                engine = DispatchEngine.start(settings, Clock.systemUTC(), new JamesReportSender(mailetContext, this::engine),
                    metrics);
                metrics.registerGauges(engine.queueGauges());
            } catch (ConfigException | CassandraUnavailableException e) {
                // One line that says what to fix, above James's stack trace of the failed start.
                LOGGER.error("Dispatch cannot start: {}", e.getMessage());
                throw e;
            }
            Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "dispatch-shutdown"));
        }
        return engine;
    }

    public synchronized void stop() {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }

    private Map<String, String> readProperties() {
        Configuration configuration;
        try {
            configuration = propertiesProvider.getConfiguration("dispatch");
        } catch (FileNotFoundException e) {
            throw new ConfigException(FILE + " is missing from James's conf/ folder: copy it from Dispatch's conf/");
        } catch (ConfigurationException e) {
            throw new ConfigException(FILE + " cannot be read: " + e.getMessage());
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Iterator<String> keys = configuration.getKeys(); keys.hasNext(); ) {
            String key = keys.next();
            // James splits values at commas; Dispatch parses its own lists.
            values.put(key, String.join(",", configuration.getStringArray(key)));
        }
        return values;
    }
}
