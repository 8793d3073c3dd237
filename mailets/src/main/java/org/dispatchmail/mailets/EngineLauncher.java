package org.dispatchmail.mailets;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.inject.Inject;
import javax.inject.Provider;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.utils.PropertiesProvider;
import org.apache.mailet.MailetContext;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.DispatchSettings;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.config.RepeatedKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.MetricRegistry;

/**
 * Starts the node's engine from James's conf/dispatch.properties, with James's mailet context (reports) and metric
 * registry, and stops it when the JVM stops. {@link DispatchModule} binds the engine to it as a singleton, so the
 * first part that needs the engine starts it and every other part gets the same one.
 */
final class EngineLauncher implements Provider<DispatchEngine> {
    private static final Logger LOGGER = LoggerFactory.getLogger(EngineLauncher.class);
    static final String FILE = "dispatch.properties";

    private final PropertiesProvider propertiesProvider;
    private final FileSystem fileSystem;
    private final MailetContext mailetContext;
    private final MetricRegistry metricRegistry;
    /** The engine itself, for the report sender: it journals reports once the engine runs. */
    private final Provider<DispatchEngine> engine;

    @Inject
    EngineLauncher(PropertiesProvider propertiesProvider, FileSystem fileSystem, MailetContext mailetContext,
                   MetricRegistry metricRegistry, Provider<DispatchEngine> engine) {
        this.propertiesProvider = propertiesProvider;
        this.fileSystem = fileSystem;
        this.mailetContext = mailetContext;
        this.metricRegistry = metricRegistry;
        this.engine = engine;
    }

    /** Fails with a message naming the file and the parameter. */
    @Override
    public DispatchEngine get() {
        DispatchEngine started;
        try {
            DispatchSettings settings = DispatchSettings.from(new ConfigReader(FILE, readProperties()));
            JamesQueueMetrics metrics = new JamesQueueMetrics(metricRegistry);
            started = DispatchEngine.start(settings, Clock.systemUTC(), new JamesReportSender(mailetContext, engine::get),
                metrics);
            metrics.registerGauges(started.queueGauges());
            metrics.registerRequests(started.cassandraRequests());
        } catch (ConfigException | CassandraUnavailableException e) {
            // One line that says what to fix, above James's stack trace of the failed start.
            LOGGER.error("Dispatch cannot start: {}", e.getMessage());
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(started::close, "dispatch-shutdown"));
        return started;
    }

    private Map<String, String> readProperties() {
        refuseRepeatedKeys();
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

    /**
     * James's reader joins the values of a key given twice into one list, which no setting could then parse, so the
     * file's own lines are checked first. A configuration folder set elsewhere than conf/ is not found here, and then
     * only James's reading applies.
     */
    private void refuseRepeatedKeys() {
        File file;
        try {
            file = fileSystem.getFile(FileSystem.FILE_PROTOCOL_AND_CONF + FILE);
        } catch (FileNotFoundException e) {
            return;
        }
        if (!file.isFile()) {
            return;
        }
        try {
            RepeatedKeys.check(FILE, Files.readAllLines(file.toPath(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException(FILE + " cannot be read: " + e.getMessage());
        }
    }
}
