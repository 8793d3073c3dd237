package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MtaStsPolicySource;
import org.dispatchmail.core.routing.DeadHosts;
import org.dispatchmail.core.routing.Destination;
import org.dispatchmail.core.routing.DomainNames;
import org.dispatchmail.core.routing.MailHost;
import org.dispatchmail.core.routing.MxResolution;
import org.dispatchmail.core.routing.MtaStsOverride;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.Route;
import org.dispatchmail.core.routing.RoutingSettings;
import org.dispatchmail.core.routing.TransportRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a message to the recipients of one domain along its {@link Route}, resolved once as a {@link Destination}:
 * the domain's MX hosts, or the smart host of its transport rule. Tries the servers in order and moves on while the
 * server (not the message) is the problem; skips server addresses that were unreachable within delivery.deadHostTime.
 *
 * <p>On an MX route, the domain's MTA-STS policy is asked for after the MX lookup, in the delivery thread, and
 * applied as {@link MtaStsApplication} decides: under enforce only the MX hosts it names, with verified TLS. Smart
 * host routes follow their configured {@code tls} only.
 */
public final class MxDeliverer {

    private static final Logger LOG = LoggerFactory.getLogger(MxDeliverer.class);

    private final MxResolver resolver;
    private final SmtpTransport transport;
    private final DeliverySettings settings;
    private final TransportRules rules;
    private final MtaStsPolicySource mtaSts;
    private final DeadHosts deadHosts;
    private final Clock clock;

    /**
     * @param mtaSts the MTA-STS policies of recipient domains ({@link MtaStsPolicySource#NONE}: none applies)
     * @param clock times the dead-host cache
     */
    public MxDeliverer(MxResolver resolver, SmtpTransport transport, DeliverySettings settings,
                       RoutingSettings routing, MtaStsPolicySource mtaSts, Clock clock) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.transport = Objects.requireNonNull(transport, "transport");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.rules = Objects.requireNonNull(routing, "routing").rules();
        this.mtaSts = Objects.requireNonNull(mtaSts, "mtaSts");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.deadHosts = new DeadHosts(routing.deadHostTime(), DeadHosts.DEFAULT_CAPACITY, clock);
    }

    /**
     * Delivers to the recipients of {@code domain}: one outcome per envelope recipient, in envelope order; never
     * throws. The route taken is in {@link #deliverRouted}.
     */
    public List<RecipientOutcome> deliver(String domain, Envelope envelope, MessageContent content) {
        return deliverRouted(domain, envelope, content).outcomes();
    }

    /** As {@link #deliver}, and tells which route was taken. */
    public Result deliverRouted(String domain, Envelope envelope, MessageContent content) {
        return deliverRouted(rules.destinationFor(domain), domain, envelope, content);
    }

    /**
     * Delivers to recipients that share {@code destination}, resolved for their domain (for a smart host that takes
     * several domains, the domain of the first recipient, named in failure texts): one outcome per envelope
     * recipient, in envelope order; never throws.
     */
    public List<RecipientOutcome> deliver(Destination destination, String domain, Envelope envelope,
                                          MessageContent content) {
        return deliverRouted(destination, domain, envelope, content).outcomes();
    }

    /** As {@link #deliver(Destination, String, Envelope, MessageContent)}, and tells which route was taken. */
    public Result deliverRouted(Destination destination, String domain, Envelope envelope, MessageContent content) {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        if (destination.route().isEmpty()) {
            // a name that cannot be valid never will be: no DNS, no relay can fix it
            return new Result(null, failAll(envelope, AttemptStage.DNS, FailureKind.BAD_DOMAIN,
                    destination.problem().orElse(domain)));
        }
        Route route = destination.route().get();
        List<String> testingRefusals = new ArrayList<>();
        List<RecipientOutcome> outcomes = route.isSmartHost()
                ? viaSmartHost(domain, route, envelope, content)
                : viaMx(domain, route, envelope, content, testingRefusals);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} via {}: {}", domain, route.describe(), outcomes);
        }
        return new Result(route, outcomes, testingRefusals);
    }

    private List<RecipientOutcome> viaMx(String domain, Route route, Envelope envelope, MessageContent content,
                                         List<String> testingRefusals) {
        MxResolution resolution = lookUp(() -> resolver.resolve(domain), domain);
        switch (resolution.kind()) {
            case NULL_MX:
                return failAll(envelope, AttemptStage.DNS, FailureKind.NULL_MX, resolution.detail());
            case NO_SUCH_DOMAIN:
                return failAll(envelope, AttemptStage.DNS, FailureKind.NO_SUCH_DOMAIN, resolution.detail());
            case TEMPORARY_FAILURE:
                return failAll(envelope, AttemptStage.DNS, FailureKind.DNS_TEMPORARY, resolution.detail());
            default:
                break;
        }
        MtaStsApplication applied = MtaStsApplication.decide(domain, policyFor(domain, route),
                route.mtaSts(), TlsRequirement.configured(route.tls()), resolution.hosts());
        TlsRequirement requirement = applied.requirement();
        switch (applied.verdict()) {
            case NO_MATCHING_MX:
                LOG.info("{}: deferred, {}", domain, applied.reason());
                return withPolicy(failAll(envelope, AttemptStage.CONNECT, FailureKind.MTA_STS_NO_VALID_MX,
                        applied.reason()), requirement);
            case ENFORCED:
                if (!applied.nonMatching().isEmpty()) {
                    LOG.info("{}: skipping MX host(s) its MTA-STS policy does not name: {}", domain,
                            names(applied.nonMatching()));
                }
                break;
            case TESTING:
                for (MailHost host : applied.nonMatching()) {
                    testingRefusals.add(host.name() + " is not named by the policy");
                }
                break;
            default:
                break;
        }
        if (applied.verdict() != MtaStsApplication.Verdict.NOT_APPLIED) {
            LOG.debug("{}", applied);
        }
        List<SmtpTarget> targets = new ArrayList<>();
        List<MailHost> hosts = applied.hosts();
        for (MailHost host : hosts.subList(0, Math.min(hosts.size(), settings.maxMxHosts()))) {
            addTargets(targets, host, settings.remotePort(), requirement, route);
        }
        List<RecipientOutcome> outcomes = attempt("all mail servers of " + domain, targets, requirement, envelope,
                content);
        if (applied.verdict() == MtaStsApplication.Verdict.TESTING) {
            testingRefusals.addAll(unverifiedSession(outcomes));
            if (!testingRefusals.isEmpty()) {
                LOG.info("{}: MTA-STS testing, enforce would have refused: {}", domain,
                        String.join("; ", testingRefusals));
            }
        }
        return outcomes;
    }

    /**
     * The policy in force for {@code domain}; never asked for when the rule turns MTA-STS off. A source that
     * breaks its promise not to throw counts as having no policy (RFC 8461 §5: a policy that cannot be had is
     * none), after a warning.
     */
    private Optional<MtaStsPolicy> policyFor(String domain, Route route) {
        if (route.mtaSts() == MtaStsOverride.OFF) {
            return Optional.empty();
        }
        try {
            return mtaSts.policyFor(DomainNames.toAscii(domain));
        } catch (RuntimeException e) {
            LOG.warn("MTA-STS policy lookup of {} failed unexpectedly; delivering as without a policy", domain, e);
            return Optional.empty();
        }
    }

    /** What testing can tell cheaply from the session that decided: no TLS, or a certificate that did not verify. */
    private static List<String> unverifiedSession(List<RecipientOutcome> outcomes) {
        if (outcomes.isEmpty() || outcomes.get(0).hostName().isEmpty()) {
            return List.of();
        }
        RecipientOutcome decided = outcomes.get(0);
        String server = decided.hostName().get() + decided.hostAddress().map(a -> "[" + a + "]").orElse("");
        if (decided.tls().isEmpty()) {
            // only a session that got as far as the transaction was certainly used without TLS
            return decided.attemptStage().compareTo(AttemptStage.MAIL) < 0 ? List.of()
                    : List.of(server + " was used without TLS");
        }
        return decided.tls().get().endsWith(" unverified")
                ? List.of(server + " has a certificate that did not verify (" + decided.tls().get() + ")")
                : List.of();
    }

    private static String names(List<MailHost> hosts) {
        List<String> names = new ArrayList<>();
        hosts.forEach(host -> names.add(host.name()));
        return String.join(", ", names);
    }

    private List<RecipientOutcome> viaSmartHost(String domain, Route route, Envelope envelope,
                                                MessageContent content) {
        String host = route.host().indexOf(':') >= 0 ? "[" + route.host() + "]" : route.host();
        String relay = "smart host " + host + ":" + route.port() + " (transport " + route.rule().orElse("?") + ")";
        MxResolution resolution = lookUp(() -> resolver.resolveHost(route.host()), route.host());
        if (resolution.kind() != MxResolution.Kind.HOSTS) {
            // the relay is our own configuration: a relay that does not resolve must not bounce anyone's mail
            return failAll(envelope, AttemptStage.DNS, FailureKind.DNS_TEMPORARY,
                    relay + " has no usable address: " + resolution.detail());
        }
        List<SmtpTarget> targets = new ArrayList<>();
        TlsRequirement requirement = TlsRequirement.configured(route.tls());
        addTargets(targets, resolution.hosts().get(0), route.port(), requirement, route);
        return attempt("all servers of " + relay + " for " + domain, targets, requirement, envelope, content);
    }

    private void addTargets(List<SmtpTarget> targets, MailHost host, int port, TlsRequirement requirement,
                            Route route) {
        List<InetAddress> addresses = host.addresses();
        for (InetAddress address : addresses.subList(0, Math.min(addresses.size(), settings.maxAddressesPerHost()))) {
            targets.add(new SmtpTarget(host.name(), address, port, requirement, route.credentials()));
        }
    }

    /**
     * Tries the targets that are not known dead, in order, until one decides; every outcome is marked with
     * {@code requirement}, the TLS policy all of them were tried under.
     */
    private List<RecipientOutcome> attempt(String allServers, List<SmtpTarget> targets, TlsRequirement requirement,
                                           Envelope envelope, MessageContent content) {
        return withPolicy(attempt(allServers, targets, envelope, content), requirement);
    }

    private static List<RecipientOutcome> withPolicy(List<RecipientOutcome> outcomes, TlsRequirement requirement) {
        List<RecipientOutcome> marked = new ArrayList<>(outcomes.size());
        for (RecipientOutcome outcome : outcomes) {
            marked.add(outcome.withPolicy(requirement));
        }
        return marked;
    }

    /** Tries the targets that are not known dead, in order, until one decides. */
    private List<RecipientOutcome> attempt(String allServers, List<SmtpTarget> targets, Envelope envelope,
                                           MessageContent content) {
        List<SmtpTarget> live = new ArrayList<>();
        DeadHosts.Entry latest = null;
        Set<InetSocketAddress> seen = new HashSet<>();
        for (SmtpTarget target : targets) {
            if (!seen.add(socketAddress(target))) {
                continue; // two MX names for one server: one try is enough
            }
            Optional<DeadHosts.Entry> dead = deadHosts.find(socketAddress(target));
            if (dead.isEmpty()) {
                live.add(target);
            } else if (latest == null || !dead.get().since().isBefore(latest.since())) {
                // on a tie the later one in order, which was tried last
                latest = dead.get();
            }
        }
        if (live.isEmpty()) {
            // nothing changed since they last failed: connecting again would only wait out the same timeouts
            long ago = Duration.between(latest.since(), clock.instant()).getSeconds();
            return failAll(envelope, AttemptStage.CONNECT, FailureKind.ALL_RECENTLY_UNREACHABLE,
                    allServers + " were unreachable recently (last error: " + latest.error() + ", " + ago + "s ago)");
        }
        if (live.size() < seen.size()) {
            LOG.debug("{}: skipping {} recently unreachable server(s)", allServers, seen.size() - live.size());
        }
        TransactionResult last = null;
        for (SmtpTarget target : live) {
            last = send(target, envelope, content);
            InetSocketAddress server = socketAddress(target);
            if (unreachable(last)) {
                String error = target.hostName() + "[" + target.address().getHostAddress() + "]:" + target.port()
                        + ": " + last.outcomes().get(0).errorDetail().orElse("");
                deadHosts.markDead(server, error);
                LOG.info("{} is unreachable, skipped for {}", error, deadHosts.deadTime());
            } else {
                deadHosts.markAlive(server);
            }
            if (!last.tryNextHost()) {
                return last.outcomes();
            }
            LOG.debug("{} failed, trying the next server: {}", target, last.outcomes().get(0).describe());
        }
        // every server failed for server-side reasons: the last one's story is as good as any
        return last.outcomes();
    }

    private TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content) {
        try {
            return transport.send(target, envelope, content);
        } catch (RuntimeException e) {
            // the transport promises not to throw; if it does, stop here rather than repeat the fault on every server
            LOG.warn("SMTP transport failed unexpectedly with {}", target, e);
            return new TransactionResult(failAll(envelope, AttemptStage.CONNECT, FailureKind.INTERNAL_ERROR,
                    "internal error: " + e), FailureKind.INTERNAL_ERROR.tryNextHost());
        }
    }

    /** No connection at all: refused, timed out or unroutable, as the transport reports it (NO_ANSWER at connect). */
    private static boolean unreachable(TransactionResult result) {
        if (!result.tryNextHost() || result.outcomes().isEmpty()) {
            return false;
        }
        for (RecipientOutcome outcome : result.outcomes()) {
            if (outcome.attemptStage() != AttemptStage.CONNECT
                    || outcome.failureKind().filter(kind -> kind == FailureKind.NO_ANSWER).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    private static InetSocketAddress socketAddress(SmtpTarget target) {
        return new InetSocketAddress(target.address(), target.port());
    }

    private static MxResolution lookUp(Supplier<MxResolution> lookup, String name) {
        try {
            return lookup.get();
        } catch (RuntimeException e) {
            LOG.warn("DNS lookup of {} failed unexpectedly", name, e);
            return MxResolution.temporaryFailure("internal error looking up " + name + ": " + e);
        }
    }

    private static List<RecipientOutcome> failAll(Envelope envelope, AttemptStage stage, FailureKind kind,
                                                  String detail) {
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            outcomes.add(RecipientOutcome.failure(recipient, stage, kind, detail));
        }
        return outcomes;
    }

    /** The outcomes of one delivery and the route they took. */
    public static final class Result {
        private final Route route;
        private final List<RecipientOutcome> outcomes;
        private final List<String> testingRefusals;

        Result(Route route, List<RecipientOutcome> outcomes) {
            this(route, outcomes, List.of());
        }

        Result(Route route, List<RecipientOutcome> outcomes, List<String> testingRefusals) {
            this.route = route;
            this.outcomes = List.copyOf(outcomes);
            this.testingRefusals = List.copyOf(testingRefusals);
        }

        /**
         * Under an MTA-STS policy in testing mode, what enforce would have refused (an MX host the policy does not
         * name, a session without TLS or with a certificate that did not verify); empty otherwise. Also logged.
         */
        public List<String> testingRefusals() {
            return testingRefusals;
        }

        /** Empty only when the domain is not a valid name, so no route applies. */
        public Optional<Route> route() {
            return Optional.ofNullable(route);
        }

        /** The route for logs: e.g. "mx (tls opportunistic)"; "none" when no route applies. */
        public String routeDescription() {
            return route == null ? "none" : route.describe();
        }

        /** Exactly one outcome per envelope recipient, in envelope order. */
        public List<RecipientOutcome> outcomes() {
            return outcomes;
        }

        @Override
        public String toString() {
            return routeDescription() + " " + outcomes;
        }
    }
}
