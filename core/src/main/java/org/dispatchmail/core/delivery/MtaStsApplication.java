package org.dispatchmail.core.delivery;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.routing.MailHost;
import org.dispatchmail.core.routing.MtaStsOverride;

/**
 * How a domain's MTA-STS policy (RFC 8461 §4, §5) shapes one delivery to its MX hosts: which hosts may be tried and
 * under which TLS requirement. A pure decision over the policy in force, the rule's {@code mtaSts} option, the
 * route's configured requirement and the resolved MX hosts; the deliverer does the lookups and the I/O.
 *
 * <ul>
 *   <li>No policy, {@code mode: none}, or the rule's {@code mtaSts=off}: {@link Verdict#NOT_APPLIED}, the route's
 *       requirement and every host.</li>
 *   <li>{@code mode: testing}, or enforce under {@code mtaSts=testing}: {@link Verdict#TESTING}, every host under
 *       the route's requirement named {@code mta-sts-testing}; {@link #nonMatching} lists what enforce would skip.</li>
 *   <li>{@code mode: enforce}: {@link Verdict#ENFORCED}, only the hosts the policy names, under
 *       {@link TlsRequirement#MTA_STS} (verified TLS, never plain text), whatever the route's {@code tls}, even
 *       {@code none}: the receiver's published policy wins, and only the explicit {@code mtaSts} option overrides it.
 *       When no host matches: {@link Verdict#NO_MATCHING_MX}, and nothing may be tried.</li>
 * </ul>
 */
public final class MtaStsApplication {

    /** What the policy made of the delivery. */
    public enum Verdict {
        /** No policy applies: the route's requirement, every MX host. */
        NOT_APPLIED,
        /** A testing policy: delivered as without one, labelled, refusals only reported. */
        TESTING,
        /** An enforce policy: matching MX hosts only, verified TLS. */
        ENFORCED,
        /** An enforce policy that matches none of the MX hosts: the mail must wait. */
        NO_MATCHING_MX
    }

    private final Verdict verdict;
    private final String domain;
    private final Optional<MtaStsPolicy> policy;
    private final TlsRequirement requirement;
    private final List<MailHost> hosts;
    private final List<MailHost> nonMatching;
    private final String reason;

    private MtaStsApplication(Verdict verdict, String domain, Optional<MtaStsPolicy> policy,
                              TlsRequirement requirement, List<MailHost> hosts, List<MailHost> nonMatching,
                              String reason) {
        this.verdict = verdict;
        this.domain = domain;
        this.policy = policy;
        this.requirement = requirement;
        this.hosts = List.copyOf(hosts);
        this.nonMatching = List.copyOf(nonMatching);
        this.reason = reason;
    }

    /**
     * Applies {@code policy}, the policy in force for {@code domain} (empty: none), to its MX hosts {@code hosts}
     * (in preference order) on a route whose own requirement is {@code configured}.
     */
    public static MtaStsApplication decide(String domain, Optional<MtaStsPolicy> policy, MtaStsOverride override,
                                           TlsRequirement configured, List<MailHost> hosts) {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(override, "override");
        Objects.requireNonNull(configured, "configured");
        if (override == MtaStsOverride.OFF) {
            return notApplied(domain, policy, configured, hosts, "mtaSts=off in the transport rule");
        }
        if (policy.isEmpty()) {
            return notApplied(domain, policy, configured, hosts, "no MTA-STS policy");
        }
        MtaStsPolicy inForce = policy.get();
        if (inForce.mode() == MtaStsPolicy.Mode.NONE) {
            return notApplied(domain, policy, configured, hosts, "MTA-STS policy in mode none");
        }
        List<MailHost> matching = new ArrayList<>();
        List<MailHost> nonMatching = new ArrayList<>();
        for (MailHost host : hosts) {
            (inForce.allowsMx(host.name()) ? matching : nonMatching).add(host);
        }
        if (inForce.mode() == MtaStsPolicy.Mode.TESTING || override == MtaStsOverride.TESTING) {
            String why = inForce.mode() == MtaStsPolicy.Mode.TESTING ? "MTA-STS policy in mode testing"
                : "MTA-STS policy in mode enforce, applied as testing (mtaSts=testing in the transport rule)";
            return new MtaStsApplication(Verdict.TESTING, domain, policy, TlsRequirement.mtaStsTesting(configured),
                hosts, nonMatching, why);
        }
        if (matching.isEmpty()) {
            String refusal = "the MTA-STS policy of " + domain + " (mode enforce, mx " + inForce.mx()
                + ") allows none of its MX hosts: " + names(hosts);
            return new MtaStsApplication(Verdict.NO_MATCHING_MX, domain, policy, TlsRequirement.MTA_STS, List.of(),
                nonMatching, refusal);
        }
        return new MtaStsApplication(Verdict.ENFORCED, domain, policy, TlsRequirement.MTA_STS, matching, nonMatching,
            "MTA-STS policy in mode enforce");
    }

    private static MtaStsApplication notApplied(String domain, Optional<MtaStsPolicy> policy,
                                                TlsRequirement configured, List<MailHost> hosts, String why) {
        return new MtaStsApplication(Verdict.NOT_APPLIED, domain, policy, configured, hosts, List.of(), why);
    }

    private static String names(List<MailHost> hosts) {
        return hosts.isEmpty() ? "(none)" : hosts.stream().map(MailHost::name).collect(Collectors.joining(", "));
    }

    public Verdict verdict() {
        return verdict;
    }

    /** The policy domain: the recipient domain whose policy was asked for. */
    public String domain() {
        return domain;
    }

    /** The policy in force, whether or not it was applied. */
    public Optional<MtaStsPolicy> policy() {
        return policy;
    }

    /** The requirement every target of this delivery gets. */
    public TlsRequirement requirement() {
        return requirement;
    }

    /** The MX hosts to try, in preference order; empty only for {@link Verdict#NO_MATCHING_MX}. */
    public List<MailHost> hosts() {
        return hosts;
    }

    /** The MX hosts the policy does not name: skipped under enforce, only reported under testing. */
    public List<MailHost> nonMatching() {
        return nonMatching;
    }

    /** Why this verdict, for logs; for {@link Verdict#NO_MATCHING_MX} the failure text, naming domain and hosts. */
    public String reason() {
        return reason;
    }

    /** For logs, e.g. "example.com: enforced (MTA-STS policy in mode enforce), not in the policy: mx9.other.test". */
    @Override
    public String toString() {
        return domain + ": " + verdict.name().toLowerCase(Locale.ROOT) + " (" + reason + ")"
            + (nonMatching.isEmpty() ? "" : ", not in the policy: " + names(nonMatching));
    }
}
