package org.dispatchmail.core.admin;

import java.time.Clock;
import java.util.Objects;

import org.dispatchmail.core.mtasts.MtaStsStore;
import org.dispatchmail.core.routing.DomainNames;
import org.dispatchmail.core.routing.TransportRules;

/**
 * Answers "what TLS policy does mail to this domain meet?" for the admin interface. Read-only and cheap: one read of
 * the shared MTA-STS store, never a DNS lookup or a policy fetch, so an operator can ask during an outage without
 * adding to it.
 */
public final class TlsAdmin {
    private final MtaStsStore store;
    private final boolean mtaStsEnabled;
    private final TransportRules rules;
    private final Clock clock;

    public TlsAdmin(MtaStsStore store, boolean mtaStsEnabled, TransportRules rules, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.mtaStsEnabled = mtaStsEnabled;
        this.rules = Objects.requireNonNull(rules, "rules");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The status of {@code domain}, written as an operator may (U-labels, any case, a trailing dot), normalised as
     * delivery does.
     *
     * @throws IllegalArgumentException when {@code domain} is not a valid domain name, saying why
     */
    public TlsStatus show(String domain) {
        String ascii = DomainNames.toAscii(domain);
        return TlsStatus.of(ascii, store.read(ascii), mtaStsEnabled, rules.routeFor(ascii), clock.instant());
    }
}
