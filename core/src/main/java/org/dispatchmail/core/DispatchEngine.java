package org.dispatchmail.core;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.admin.QueueAdmin;
import org.dispatchmail.core.admin.TlsAdmin;
import org.dispatchmail.core.cassandra.CassandraConnector;
import org.dispatchmail.core.cassandra.CassandraRequestCount;
import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.crypto.CryptoProviders;
import org.dispatchmail.core.intake.CassandraIntakeJournal;
import org.dispatchmail.core.intake.IntakeJournal;
import org.dispatchmail.core.intake.IntakeRecovery;
import org.dispatchmail.core.intake.IntakeSettings;
import org.dispatchmail.core.mtasts.CachingMtaStsPolicySource;
import org.dispatchmail.core.mtasts.CassandraMtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsFetcher;
import org.dispatchmail.core.mtasts.MtaStsPolicySource;
import org.dispatchmail.core.mtasts.MtaStsStore;
import org.dispatchmail.core.mtasts.MtaStsSettings;
import org.dispatchmail.core.queue.ShardLeases;
import org.dispatchmail.core.dkim.DkimSigner;
import org.dispatchmail.core.delivery.MxDeliverer;
import org.dispatchmail.core.delivery.SmtpClient;
import org.dispatchmail.core.queue.CassandraGreylistMemory;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.CassandraShardLeases;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.submission.CassandraUsageStore;
import org.dispatchmail.core.submission.SenderAlignment;
import org.dispatchmail.core.submission.SendingLimits;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.secrets.CassandraClusterSecrets;
import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.TransportRules;
import org.dispatchmail.core.dkim.CassandraDomainKeyStore;
import org.dispatchmail.core.dkim.DkimKeys;
import org.dispatchmail.core.dkim.ArcSealing;
import org.dispatchmail.core.dkim.DnsTxtLookup;
import org.dispatchmail.core.dkim.MasterKey;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsKeys;
import org.dispatchmail.core.submission.AuthChecks;
import org.dispatchmail.core.submission.AuthMechanisms;
import org.dispatchmail.core.submission.AuthThrottle;
import org.dispatchmail.core.submission.CassandraAuthThrottle;
import org.dispatchmail.core.submission.CassandraSubmissionUserStore;
import org.dispatchmail.core.submission.PasswordHashing;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.core.worker.DeliveryReports;
import org.dispatchmail.core.worker.DeliveryWorker;
import org.dispatchmail.core.worker.DomainDelivery;
import org.dispatchmail.core.worker.QueueGauges;
import org.dispatchmail.core.worker.QueueMetrics;
import org.dispatchmail.core.worker.ReportSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.CqlSession;

/** One node's Dispatch: the Cassandra session, the queue, and the delivery worker. */
public final class DispatchEngine implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DispatchEngine.class);

    private final CqlSession session;
    private final QueueStore store;
    private final DeliveryWorker worker;
    private final Clock clock;
    private final Optional<DkimKeys> dkimKeys;
    private final DkimSigner dkimSigner;
    private final Optional<ArcSealing> arcSealing;
    private final ScheduledExecutorService keyMaintenance;
    private final SubmissionUsers submissionUsers;
    private final AuthThrottle authThrottle;
    private final AuthChecks authChecks;
    private final AuthMechanisms authMechanisms;
    private final SenderAlignment senderAlignment;
    private final SendingLimits sendingLimits;
    private final int maxRecipientsPerMessage;
    private final MxResolver mxResolver;
    private final TransportRules transportRules;
    private final QueueAdmin queueAdmin;
    private final TlsAdmin tlsAdmin;
    private final QueueGauges queueGauges;
    private final SmtpClient smtpClient;
    private final CassandraRequestCount cassandraRequests;
    private final ClusterSecrets clusterSecrets;
    private final SenderRewriting senderRewriting;
    private final SrsKeys srsKeys;
    private final IntakeJournal intakeJournal;
    private final ShardLeases leases;
    private final String nodeId;
    private final IntakeSettings intakeSettings;
    private final SubmissionSettings submissionSettings;
    private final Instant startedAt;

    private DispatchEngine(CqlSession session, QueueStore store, DeliveryWorker worker, Clock clock,
                           Optional<DkimKeys> dkimKeys, ScheduledExecutorService keyMaintenance,
                           DispatchSettings settings, MxResolver mxResolver, QueueAdmin queueAdmin,
                           QueueGauges queueGauges, SmtpClient smtpClient, CassandraRequestCount cassandraRequests,
                           MtaStsStore mtaStsStore) {
        this.smtpClient = smtpClient;
        this.cassandraRequests = cassandraRequests;
        this.queueAdmin = queueAdmin;
        this.queueGauges = queueGauges;
        this.session = session;
        this.store = store;
        this.worker = worker;
        this.clock = clock;
        this.dkimKeys = dkimKeys;
        this.dkimSigner = new DkimSigner(clock);
        this.arcSealing = arcSealing(settings, dkimKeys, clock);
        this.keyMaintenance = keyMaintenance;
        String keyspace = settings.cassandra().keyspace();
        this.clusterSecrets = new CassandraClusterSecrets(session, keyspace, clock, new SecureRandom());
        this.submissionUsers = new SubmissionUsers(new CassandraSubmissionUserStore(session, keyspace),
            new PasswordHashing(settings.submission().passwordIterations(), settings.submission().scramIterations()),
            clock, clusterSecrets);
        this.authThrottle = new CassandraAuthThrottle(session, keyspace, settings.submission().authThrottle(), clock);
        this.authChecks = AuthChecks.start(authThrottle, settings.submission().authThreads(),
            settings.submission().authMaxConcurrentPerAddress(), clock);
        this.authMechanisms = settings.submission().mechanisms();
        this.senderAlignment = new SenderAlignment(settings.submission().senderAlignment());
        this.sendingLimits = new SendingLimits(new CassandraUsageStore(session, keyspace),
            settings.submission().maxMessagesPerHour(), settings.submission().maxRecipientsPerHour(), clock);
        this.maxRecipientsPerMessage = settings.submission().maxRecipientsPerMessage();
        this.mxResolver = mxResolver;
        this.transportRules = settings.routing().rules();
        this.tlsAdmin = new TlsAdmin(mtaStsStore, settings.mtaSts().enabled(), transportRules, clock);
        this.senderRewriting = new SenderRewriting(settings.srs(), clusterSecrets, clock);
        this.srsKeys = new SrsKeys(clusterSecrets, settings.srs(), clock);
        if (!senderRewriting.enabled()) {
            LOGGER.warn("dispatch.properties: srs.domain is not set, so mail forwarded to another domain leaves with"
                + " its original envelope sender and fails SPF at the receiver; set srs.domain (see docs/forwarding.md)");
        }
        this.intakeJournal = new CassandraIntakeJournal(session, keyspace,
            settings.retry().maxLifetime().plus(settings.worker().retention()), clock);
        this.leases = new CassandraShardLeases(session, keyspace, clock);
        this.nodeId = settings.worker().nodeId();
        this.intakeSettings = settings.intake();
        this.submissionSettings = settings.submission();
        this.startedAt = clock.instant();
    }

    /** Connects (bounded wait), creates or migrates the schema, and starts delivering. */
    public static DispatchEngine start(DispatchSettings settings, Clock clock, ReportSender reportSender,
                                       QueueMetrics metrics) {
        // before any key is read or connection made, so that they use the provider chosen here
        CryptoProviders.register(settings.cryptoProvider());
        CassandraRequestCount requests = new CassandraRequestCount();
        CqlSession session = CassandraConnector.connect(settings.cassandra(), clock, requests);
        try {
            QueueSchema.apply(session, settings.cassandra().keyspace(), settings.cassandra().replicationCql(), clock);
            String keyspace = settings.cassandra().keyspace();
            QueueStore store = new CassandraQueueStore(session, keyspace, settings.worker().shards(),
                settings.worker().bucketSize(), settings.retry().maxLifetime().plus(settings.worker().retention()), clock);
            MxResolver resolver = new MxResolver(settings.dnsServers(), settings.dnsTimeout(), settings.dnsCache(),
                clock);
            SmtpClient smtpClient = new SmtpClient(settings.delivery(), clock);
            MtaStsStore mtaStsStore = new CassandraMtaStsStore(session, keyspace);
            MtaStsPolicySource mtaStsPolicies = mtaStsPolicies(settings, mtaStsStore, clock);
            MxDeliverer deliverer = new MxDeliverer(resolver, smtpClient, settings.delivery(), settings.routing(),
                mtaStsPolicies, clock);
            settings.routing().rules().describe().forEach(rule -> LOGGER.info("Dispatch route: {}", rule));
            if (settings.delivery().maxConnectionsPerHost() >= settings.worker().deliveryThreads()) {
                LOGGER.warn("dispatch.properties: delivery.maxConnectionsPerHost ({}) is not below delivery.threads"
                    + " ({}): one server that tarpits can hold every delivery thread, each for up to"
                    + " delivery.transactionTimeout ({})", settings.delivery().maxConnectionsPerHost(),
                    settings.worker().deliveryThreads(), settings.delivery().transactionTimeout());
            }
            Optional<DkimKeys> dkimKeys = dkimKeys(settings, session, clock);
            ScheduledExecutorService keyMaintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "dispatch-dkim-keys");
                thread.setDaemon(true);
                return thread;
            });
            dkimKeys.ifPresent(keys -> keyMaintenance.scheduleWithFixedDelay(() -> maintain(keys), 0,
                settings.dkim().checkInterval().toMillis(), TimeUnit.MILLISECONDS));
            DeliveryReports reports = new DeliveryReports(reportSender, settings.delivery().heloName(),
                settings.reportMaxReturnedSize(), metrics, clock);
            DeliveryWorker worker = DeliveryWorker.create(store, new CassandraShardLeases(session, keyspace, clock),
                new CassandraGreylistMemory(session, keyspace),
                DomainDelivery.byRules(settings.routing().rules(), deliverer),
                new RetryPolicy(settings.retry(), new SecureRandom()), reports, metrics, settings.worker(), clock);
            QueueAdmin admin = new QueueAdmin(store, reports, settings.retry().maxLifetime(), clock);
            QueueGauges gauges = new QueueGauges(admin::summary, worker::ownedShards);
            keyMaintenance.scheduleWithFixedDelay(gauges::refresh, 5_000,
                settings.worker().gaugeInterval().toMillis(), TimeUnit.MILLISECONDS);
            worker.start();
            DispatchEngine engine = new DispatchEngine(session, store, worker, clock, dkimKeys, keyMaintenance,
                settings, resolver, admin, gauges, smtpClient, requests, mtaStsStore);
            // listed before it journals anything, so its mail is found if it dies
            engine.intakeJournal().register(engine.nodeId());
            return engine;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Returns once the message is durable at the configured consistency; throws if it is not. */
    public UUID enqueue(NewMessage message) {
        return store.enqueue(message, clock.instant());
    }

    public QueueStore store() {
        return store;
    }

    /** Summary, lists and commands on the queue, for webadmin. */
    public QueueAdmin queueAdmin() {
        return queueAdmin;
    }

    /** The TLS policy each domain meets, for the admin interface: read from the shared store, never fetched. */
    public TlsAdmin tlsAdmin() {
        return tlsAdmin;
    }

    /** Queue depth and oldest entry of this node's shards, for the metrics. */
    public QueueGauges queueGauges() {
        return queueGauges;
    }

    /** The CQL requests this node sent, for the metrics. */
    public CassandraRequestCount cassandraRequests() {
        return cassandraRequests;
    }

    /** The DKIM key service; fails with a named parameter when no master key is configured. */
    public DkimKeys dkimKeys() {
        return dkimKeys.orElseThrow(() -> new ConfigException("dispatch.properties: dkim.masterKeyFile is required"
            + " for DKIM keys: a file with 32 random bytes in base64 (openssl rand -base64 32), the same on every node"));
    }

    public DkimSigner dkimSigner() {
        return dkimSigner;
    }

    /** ARC sealing of forwarded mail, when arc.domain is set. */
    public Optional<ArcSealing> arcSealing() {
        return arcSealing;
    }

    /** Submission logins in Cassandra, for SMTP AUTH and their admin. */
    public SubmissionUsers submissionUsers() {
        return submissionUsers;
    }

    public AuthThrottle authThrottle() {
        return authThrottle;
    }

    /** Where AUTH credentials are checked, off the SMTP threads. */
    public AuthChecks authChecks() {
        return authChecks;
    }

    /** The SASL mechanisms submission offers (submission.mechanisms). */
    public AuthMechanisms authMechanisms() {
        return authMechanisms;
    }

    public SenderAlignment senderAlignment() {
        return senderAlignment;
    }

    public SubmissionSettings submissionSettings() {
        return submissionSettings;
    }

    public SendingLimits sendingLimits() {
        return sendingLimits;
    }

    public int maxRecipientsPerMessage() {
        return maxRecipientsPerMessage;
    }

    /** The resolver delivery uses (its cache included), for checks at submission time. */
    public MxResolver mxResolver() {
        return mxResolver;
    }

    /** The transport rules delivery routes by, for checks at submission time. */
    public TransportRules transportRules() {
        return transportRules;
    }

    /** Mail accepted and not yet out of the mail processing, per node, in Cassandra. */
    public IntakeJournal intakeJournal() {
        return intakeJournal;
    }

    /** The clock every part of this engine reads time from. */
    public Clock clock() {
        return clock;
    }

    /** This node's id: the writer of its journal entries, the name of its heartbeat. */
    public String nodeId() {
        return nodeId;
    }

    public IntakeSettings intakeSettings() {
        return intakeSettings;
    }

    /** Re-injects through {@code reinjector} the journaled mail of nodes that stopped heartbeating. */
    public IntakeRecovery intakeRecovery(IntakeRecovery.Reinjector reinjector) {
        return new IntakeRecovery(intakeJournal, leases::liveNodes, nodeId, reinjector,
            intakeSettings.takeoverInterval().multipliedBy(6), startedAt);
    }

    /** Secrets every node shares (SRS key, SCRAM decoy seed), kept in Cassandra. */
    public ClusterSecrets clusterSecrets() {
        return clusterSecrets;
    }

    /** SRS: the envelope sender of forwarded mail, and the check of bounces to SRS addresses. */
    public SenderRewriting senderRewriting() {
        return senderRewriting;
    }

    /** The SRS key's versions, its rotation and retirement, for webadmin. */
    public SrsKeys srsKeys() {
        return srsKeys;
    }

    /**
     * MTA-STS policies kept in Cassandra for every node, their _mta-sts TXT records looked up through dns.servers,
     * fetched trusting delivery.tls.truststore when set (as verified SMTP TLS does), else the JDK's CAs.
     */
    private static MtaStsPolicySource mtaStsPolicies(DispatchSettings settings, MtaStsStore store, Clock clock) {
        MtaStsSettings mtaSts = settings.mtaSts();
        if (!mtaSts.enabled()) {
            LOGGER.info("Dispatch MTA-STS is off (delivery.mtaSts=off): no domain's policy is looked up or applied");
            return MtaStsPolicySource.NONE;
        }
        Duration connectTimeout = settings.delivery().connectTimeout().compareTo(mtaSts.fetchTimeout()) < 0
            ? settings.delivery().connectTimeout() : mtaSts.fetchTimeout();
        MtaStsFetcher fetcher = new MtaStsFetcher(MtaStsFetcher.trusting(settings.delivery().trustStore()),
            connectTimeout, mtaSts.fetchTimeout());
        DnsTxtLookup dns = new DnsTxtLookup(settings.dnsServers(), settings.dnsTimeout());
        return new CachingMtaStsPolicySource(store,
            dns::records, fetcher::fetch, mtaSts.recheckInterval(), clock);
    }

    private static Optional<DkimKeys> dkimKeys(DispatchSettings settings, CqlSession session, Clock clock) {
        if (settings.dkim().masterKeyFile().isEmpty()) {
            return Optional.empty();
        }
        MasterKey masterKey;
        try {
            masterKey = MasterKey.fromFile(settings.dkim().masterKeyFile().get());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("dispatch.properties: dkim.masterKeyFile: " + e.getMessage());
        }
        return Optional.of(new DkimKeys(new CassandraDomainKeyStore(session, settings.cassandra().keyspace()), masterKey,
            new DnsTxtLookup(settings.dnsServers(), settings.dnsTimeout()), settings.dkim(), clock));
    }

    private static Optional<ArcSealing> arcSealing(DispatchSettings settings, Optional<DkimKeys> dkimKeys, Clock clock) {
        if (settings.arc().domain().isEmpty()) {
            return Optional.empty();
        }
        if (dkimKeys.isEmpty()) {
            throw new ConfigException("dispatch.properties: arc.domain seals with that domain's DKIM keys, which need"
                + " dkim.masterKeyFile: set it, or leave arc.domain empty");
        }
        return Optional.of(new ArcSealing(settings.arc().domain().get(), dkimKeys.get(),
            new DnsTxtLookup(settings.dnsServers(), settings.dnsTimeout()), settings.delivery().heloName(), clock));
    }

    private static void maintain(DkimKeys keys) {
        try {
            keys.maintain();
        } catch (RuntimeException e) {
            LOGGER.warn("DKIM key maintenance failed, will retry: {}", e.getMessage());
        }
    }

    @Override
    public void close() {
        keyMaintenance.shutdownNow();
        authChecks.close();
        worker.close();
        smtpClient.close();
        session.close();
        LOGGER.info("Dispatch stopped");
    }
}
