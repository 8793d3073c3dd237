package org.dispatchmail.core;

import java.time.Duration;
import java.util.List;

import org.dispatchmail.core.config.CassandraSettings;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.intake.IntakeSettings;
import org.dispatchmail.core.delivery.DeliverySettings;
import org.dispatchmail.core.policy.SubmissionSettings;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.RoutingSettings;
import org.dispatchmail.core.signing.DkimSettings;
import org.dispatchmail.core.worker.WorkerSettings;

/** Everything dispatch.properties says, checked at start-up so a bad value stops the node with its name. */
public final class DispatchSettings {
    private final CassandraSettings cassandra;
    private final WorkerSettings worker;
    private final DeliverySettings delivery;
    private final List<String> dnsServers;
    private final Duration dnsTimeout;
    private final DkimSettings dkim;
    private final SubmissionSettings submission;
    private final RetrySettings retry;
    private final RoutingSettings routing;
    private final long reportMaxReturnedSize;
    private final IntakeSettings intake;

    private DispatchSettings(ConfigReader config) {
        this.cassandra = CassandraSettings.from(config);
        this.worker = WorkerSettings.from(config);
        this.dnsServers = config.list("dns.servers");
        for (String server : dnsServers) {
            config.parse("dns.servers", server, MxResolver::parseServer);
        }
        this.dnsTimeout = config.duration("dns.timeout", Duration.ofSeconds(5));
        this.delivery = DeliverySettings.from(config);
        this.dkim = DkimSettings.from(config);
        this.submission = SubmissionSettings.from(config);
        this.retry = RetrySettings.from(config);
        this.routing = RoutingSettings.from(config);
        this.reportMaxReturnedSize = config.integer("report.maxReturnedSize", 10 * 1024 * 1024, 0, Integer.MAX_VALUE);
        this.intake = IntakeSettings.from(config);
    }

    public static DispatchSettings from(ConfigReader config) {
        return new DispatchSettings(config);
    }

    public CassandraSettings cassandra() {
        return cassandra;
    }

    public WorkerSettings worker() {
        return worker;
    }

    public DeliverySettings delivery() {
        return delivery;
    }

    public List<String> dnsServers() {
        return dnsServers;
    }

    public Duration dnsTimeout() {
        return dnsTimeout;
    }

    public DkimSettings dkim() {
        return dkim;
    }

    /** Transport rules (MX or smart host per recipient domain) and the dead-host cache. */
    public RoutingSettings routing() {
        return routing;
    }

    public RetrySettings retry() {
        return retry;
    }

    /** Failure reports carry the whole original message up to this size, its headers only above it. */
    public long reportMaxReturnedSize() {
        return reportMaxReturnedSize;
    }

    /** The intake journal's takeover and the error repository's automatic reprocessing. */
    public IntakeSettings intake() {
        return intake;
    }

    public SubmissionSettings submission() {
        return submission;
    }
}
