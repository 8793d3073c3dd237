package org.dispatchmail.core.routing;

/**
 * What a transport rule's {@code mtaSts} option does with the MTA-STS policies (RFC 8461) of the domains it routes
 * to their MX hosts. Smart host routes never apply MTA-STS: they follow their configured {@code tls}.
 */
public enum MtaStsOverride {
    /** The default: each domain's policy applies in the mode it publishes. */
    AS_PUBLISHED,
    /** An enforce policy is applied as testing: delivered as the route's {@code tls} says, refusals only logged. */
    TESTING,
    /**
     * Policies are ignored. An attacker on the path can then strip TLS or redirect the mail of these domains, which
     * is what MTA-STS exists to prevent: only for a receiver whose policy is known to be broken.
     */
    OFF
}
