package org.dispatchmail.core.routing;

import java.util.Objects;
import java.util.Optional;

/**
 * Where the mail of a recipient domain goes, resolved once from the transport rules and carried as a value to the
 * deliverer: the domain's own MX hosts along its route, a smart host (with its TLS policy and login) that may take
 * several domains, or no route at all when the domain is not a valid name. Recipients with equal destinations
 * share one transaction and the destination's share of the delivery threads.
 */
public final class Destination {
    private final Optional<String> domain;
    private final Optional<Route> route;
    private final Optional<String> problem;

    private Destination(Optional<String> domain, Optional<Route> route, Optional<String> problem) {
        this.domain = domain;
        this.route = route;
        this.problem = problem;
    }

    /** The MX hosts of {@code domain} (an A-label name), reached along {@code route}. */
    public static Destination mx(String domain, Route route) {
        Objects.requireNonNull(domain, "domain");
        if (route.isSmartHost()) {
            throw new IllegalArgumentException("a smart host route is a destination of its own: " + route);
        }
        return new Destination(Optional.of(domain), Optional.of(route), Optional.empty());
    }

    /** A smart host: every domain its rule takes goes to this one destination. */
    public static Destination smartHost(Route route) {
        if (!route.isSmartHost()) {
            throw new IllegalArgumentException("not a smart host route: " + route);
        }
        return new Destination(Optional.empty(), Optional.of(route), Optional.empty());
    }

    /** A domain that is not a valid domain name, so that no route applies; {@code problem} says why. */
    public static Destination unroutable(String domain, String problem) {
        return new Destination(Optional.of(Objects.requireNonNull(domain, "domain")), Optional.empty(),
                Optional.of(Objects.requireNonNull(problem, "problem")));
    }

    /** Empty only when the domain is not a valid domain name. */
    public Optional<Route> route() {
        return route;
    }

    /** Why no route applies; empty when one does. */
    public Optional<String> problem() {
        return problem;
    }

    public boolean isSmartHost() {
        return route.map(Route::isSmartHost).orElse(false);
    }

    /**
     * The route as the per-attempt log line names it: "mx", "mx:rule" or "smarthost:rule" ("mx" too when no route
     * applies, as the domain was meant for its MX hosts).
     */
    public String routeName() {
        if (route.isEmpty()) {
            return "mx";
        }
        String kind = route.get().isSmartHost() ? "smarthost" : "mx";
        return route.get().rule().map(rule -> kind + ":" + rule).orElse(kind);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Destination && ((Destination) o).domain.equals(domain)
                && ((Destination) o).route.equals(route);
    }

    @Override
    public int hashCode() {
        return Objects.hash(domain, route);
    }

    /** For logs: "example.com via mx (tls opportunistic)", the smart host route, or the problem. */
    @Override
    public String toString() {
        if (route.isEmpty()) {
            return domain.get() + " (no route: " + problem.get() + ")";
        }
        return domain.map(d -> d + " via ").orElse("") + route.get().describe();
    }
}
