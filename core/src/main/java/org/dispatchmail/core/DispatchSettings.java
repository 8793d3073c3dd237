package org.dispatchmail.core;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.config.CassandraSettings;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.crypto.CryptoProvider;
import org.dispatchmail.core.intake.IntakeSettings;
import org.dispatchmail.core.mtasts.MtaStsSettings;
import org.dispatchmail.core.delivery.DeliverySettings;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.routing.DnsCacheSettings;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.RoutingSettings;
import org.dispatchmail.core.dkim.ArcSettings;
import org.dispatchmail.core.dkim.DkimSettings;
import org.dispatchmail.core.srs.SrsSettings;
import org.dispatchmail.core.worker.WorkerSettings;

/** Everything dispatch.properties says, checked at start-up so a bad value stops the node with its name. */
public final class DispatchSettings {
    private final CassandraSettings cassandra;
    private final WorkerSettings worker;
    private final DeliverySettings delivery;
    private final List<String> dnsServers;
    private final Duration dnsTimeout;
    private final DnsCacheSettings dnsCache;
    private final DkimSettings dkim;
    private final ArcSettings arc;
    private final SubmissionSettings submission;
    private final RetrySettings retry;
    private final RoutingSettings routing;
    private final long reportMaxReturnedSize;
    private final SrsSettings srs;
    private final IntakeSettings intake;
    private final CryptoProvider cryptoProvider;
    private final MtaStsSettings mtaSts;

    private DispatchSettings(ConfigReader config) {
        this.cassandra = CassandraSettings.from(config);
        this.worker = WorkerSettings.from(config);
        this.dnsServers = config.list("dns.servers");
        for (String server : dnsServers) {
            config.parse("dns.servers", server, MxResolver::parseServer);
        }
        this.dnsTimeout = config.duration("dns.timeout", Duration.ofSeconds(5));
        this.dnsCache = DnsCacheSettings.from(config);
        this.delivery = transactionWithinClaim(config, DeliverySettings.from(config), worker.claimDuration());
        this.dkim = DkimSettings.from(config);
        this.arc = ArcSettings.from(config);
        this.submission = SubmissionSettings.from(config);
        this.retry = RetrySettings.from(config);
        this.routing = RoutingSettings.from(config);
        this.reportMaxReturnedSize = config.integer("report.maxReturnedSize", 10 * 1024 * 1024, 0, Integer.MAX_VALUE);
        this.srs = SrsSettings.from(config);
        this.intake = IntakeSettings.from(config);
        this.cryptoProvider = config.enumValue("crypto.provider", CryptoProvider.class, CryptoProvider.NATIVE);
        this.mtaSts = MtaStsSettings.from(config);
    }

    /**
     * An attempt must end while its claim holds, even before any renewal, else another node could take the
     * recipient over and deliver it a second time: an explicit delivery.transactionTimeout must be shorter than
     * queue.claimDuration; the default (10m) becomes half the claim when the claim is short.
     */
    static DeliverySettings transactionWithinClaim(ConfigReader config, DeliverySettings delivery, Duration claim) {
        if (delivery.transactionTimeout().compareTo(claim) < 0) {
            return delivery;
        }
        Optional<String> set = config.optional("delivery.transactionTimeout");
        if (set.isEmpty()) {
            return delivery.toBuilder().transactionTimeout(claim.dividedBy(2)).build();
        }
        throw config.error("delivery.transactionTimeout", "(" + set.get().trim() + ") must be shorter than"
            + " queue.claimDuration (" + config.optional("queue.claimDuration").map(String::trim)
            .orElse(claim.toString()) + "): an attempt must end before its claim can run out");
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

    /** How many DNS answers delivery and submission keep, and for how long at most. */
    public DnsCacheSettings dnsCache() {
        return dnsCache;
    }

    public DkimSettings dkim() {
        return dkim;
    }

    /** ARC sealing of forwarded mail. */
    public ArcSettings arc() {
        return arc;
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

    /** Sender rewriting of forwarded mail: the SRS domain (empty = off) and how long its addresses take bounces. */
    public SrsSettings srs() {
        return srs;
    }

    /** The intake journal's takeover and the error repository's automatic reprocessing. */
    public IntakeSettings intake() {
        return intake;
    }

    public SubmissionSettings submission() {
        return submission;
    }

    /** MTA-STS (RFC 8461) on MX delivery: on or off, the policy fetch's timeout, how often a node looks again. */
    public MtaStsSettings mtaSts() {
        return mtaSts;
    }

    /** Where RSA signing and TLS primitives come from: the native provider when it loads (default), or the JDK. */
    public CryptoProvider cryptoProvider() {
        return cryptoProvider;
    }
}
