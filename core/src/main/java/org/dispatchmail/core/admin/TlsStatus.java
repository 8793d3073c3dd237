package org.dispatchmail.core.admin;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.dispatchmail.core.delivery.MtaStsApplication;
import org.dispatchmail.core.delivery.TlsRequirement;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MtaStsStore;
import org.dispatchmail.core.mtasts.RefreshFailure;
import org.dispatchmail.core.mtasts.StoredPolicy;
import org.dispatchmail.core.routing.MtaStsOverride;
import org.dispatchmail.core.routing.Route;

/**
 * What outbound TLS policy mail to one domain meets, as an operator asks it in an outage ("why is mail to
 * example.org deferred with 4.7.5?"): the MTA-STS policy stored for the domain, the last failed refresh, the route
 * and its {@code mtaSts} option, and what delivery would apply now. Built from what the store holds; nothing is
 * looked up in DNS or fetched, so a stored policy may be older than the domain's current one until a delivery
 * refreshes it.
 */
public final class TlsStatus {

    /** Said with every answer, so nobody takes the stored policy for the published one. */
    public static final String SOURCE = "stored policy; a delivery refreshes it";

    /** What delivery would do with the domain's MTA-STS policy now. */
    public enum Applied {
        /** Only MX hosts the policy names, with verified TLS; when none matches, mail waits (4.7.5). */
        ENFORCE,
        /** Delivered as without a policy; what enforce would refuse is only reported. */
        TESTING,
        /** No MTA-STS: the route's own {@code tls}. */
        NONE;

        /** The word in the JSON and text: enforce, testing or none. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final String domain;
    private final boolean mtaStsEnabled;
    private final Route route;
    private final Optional<StoredPolicy> storedPolicy;
    private final Optional<RefreshFailure> lastFailure;
    private final boolean expired;
    private final Applied applied;
    private final String reason;

    private TlsStatus(String domain, boolean mtaStsEnabled, Route route, Optional<StoredPolicy> storedPolicy,
                      Optional<RefreshFailure> lastFailure, boolean expired, Applied applied, String reason) {
        this.domain = domain;
        this.mtaStsEnabled = mtaStsEnabled;
        this.route = route;
        this.storedPolicy = storedPolicy;
        this.lastFailure = lastFailure;
        this.expired = expired;
        this.applied = applied;
        this.reason = reason;
    }

    /**
     * The status of {@code domain} (already in A-label form) at {@code now}: a pure decision over what the store
     * holds ({@code stored}), whether {@code delivery.mtaSts} is on, and the domain's route. What applies is what
     * {@link MtaStsApplication#decide} makes of the policy delivery would have in force: the stored one while
     * unexpired, none once expired or with MTA-STS off or on a smart host route.
     */
    public static TlsStatus of(String domain, Optional<MtaStsStore.Entry> stored, boolean mtaStsEnabled, Route route,
                               Instant now) {
        Objects.requireNonNull(domain, "domain");
        Objects.requireNonNull(route, "route");
        Optional<StoredPolicy> policy = stored.flatMap(MtaStsStore.Entry::policy);
        Optional<RefreshFailure> failure = stored.flatMap(MtaStsStore.Entry::lastFailure);
        boolean expired = policy.map(p -> p.isExpiredAt(now)).orElse(false);
        if (!mtaStsEnabled) {
            return new TlsStatus(domain, false, route, policy, failure, expired, Applied.NONE,
                "delivery.mtaSts=off: no domain's policy is looked up or applied");
        }
        if (route.isSmartHost()) {
            return new TlsStatus(domain, true, route, policy, failure, expired, Applied.NONE,
                "smart host route: MTA-STS never applies, the rule's tls does");
        }
        if (expired && route.mtaSts() != MtaStsOverride.OFF) {
            return new TlsStatus(domain, true, route, policy, failure, true, Applied.NONE,
                "the stored MTA-STS policy expired at " + policy.get().expiresAt()
                    + " (the next delivery fetches it again)");
        }
        Optional<MtaStsPolicy> inForce = policy.filter(p -> !p.isExpiredAt(now)).map(StoredPolicy::policy);
        // the MX hosts are not looked up here: only the mode of the decision is used, not its host list
        MtaStsApplication decision = MtaStsApplication.decide(domain, inForce, route.mtaSts(),
            TlsRequirement.configured(route.tls()), List.of());
        switch (decision.verdict()) {
            case TESTING:
                return new TlsStatus(domain, true, route, policy, failure, expired, Applied.TESTING, decision.reason());
            case ENFORCED:
            case NO_MATCHING_MX:
                return new TlsStatus(domain, true, route, policy, failure, expired, Applied.ENFORCE,
                    "MTA-STS policy in mode enforce: only MX hosts matching " + inForce.get().mx()
                        + ", with verified TLS; none matching defers the mail (4.7.5)");
            default:
                return new TlsStatus(domain, true, route, policy, failure, expired, Applied.NONE, decision.reason());
        }
    }

    /** The domain in A-label form, lower case, without trailing dot. */
    public String domain() {
        return domain;
    }

    /** Whether {@code delivery.mtaSts} is on. */
    public boolean mtaStsEnabled() {
        return mtaStsEnabled;
    }

    public Route route() {
        return route;
    }

    /** The policy stored for the domain (expired or not); empty when none is. */
    public Optional<StoredPolicy> storedPolicy() {
        return storedPolicy;
    }

    /** The last failed refresh since the stored policy was fetched; empty when none. */
    public Optional<RefreshFailure> lastFailure() {
        return lastFailure;
    }

    /** Whether the stored policy has expired, so that delivery no longer applies it. */
    public boolean expired() {
        return expired;
    }

    public Applied applied() {
        return applied;
    }

    /** Why {@link #applied}, in a sentence. */
    public String reason() {
        return reason;
    }

    /** What "./dispatch tls show DOMAIN" prints: one "name: value" line per fact. */
    public String text() {
        String nl = System.lineSeparator();
        StringBuilder out = new StringBuilder();
        out.append("domain:          ").append(domain).append(nl);
        out.append("source:          ").append(SOURCE).append(nl);
        out.append("route:           ").append(route.describe()).append(nl);
        out.append("delivery.mtaSts: ").append(mtaStsEnabled ? "on" : "off").append(nl);
        out.append("mta-sts applies: ").append(applied.word()).append(" (").append(reason).append(')').append(nl);
        if (storedPolicy.isPresent()) {
            StoredPolicy stored = storedPolicy.get();
            out.append("stored policy:").append(nl);
            out.append("  id:            ").append(stored.id()).append(nl);
            out.append("  mode:          ").append(stored.policy().mode().word()).append(nl);
            out.append("  mx:            ").append(stored.policy().mx().isEmpty() ? "(none)"
                : String.join(", ", stored.policy().mx().stream().map(Object::toString).toArray(String[]::new)))
                .append(nl);
            out.append("  max_age:       ").append(stored.policy().maxAge().getSeconds()).append(" s").append(nl);
            out.append("  fetched at:    ").append(stored.fetchedAt()).append(nl);
            out.append("  expires at:    ").append(stored.expiresAt()).append(expired ? " (expired)" : "")
                .append(nl);
        } else {
            out.append("stored policy:   none").append(nl);
        }
        if (lastFailure.isPresent()) {
            RefreshFailure failure = lastFailure.get();
            out.append("last failed refresh:").append(nl);
            out.append("  id:            ").append(failure.id()).append(nl);
            out.append("  at:            ").append(failure.at()).append(nl);
            out.append("  error:         ").append(failure.error()).append(nl);
        } else {
            out.append("last failed refresh: none").append(nl);
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return domain + ": mta-sts " + applied.word() + " (" + reason + ")";
    }
}
