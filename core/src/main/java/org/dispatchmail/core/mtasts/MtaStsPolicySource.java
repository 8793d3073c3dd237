package org.dispatchmail.core.mtasts;

import java.util.Optional;

/**
 * Where delivery learns the MTA-STS policy in force for a recipient domain (RFC 8461 §5). An implementation may
 * look the domain's {@code _mta-sts} record up and fetch its policy, bounded by its own timeouts, so it is asked
 * from the delivery thread of that domain, never from a poll.
 */
public interface MtaStsPolicySource {

    /** MTA-STS switched off: no domain has a policy. */
    MtaStsPolicySource NONE = domain -> Optional.empty();

    /**
     * The policy to apply to mail for {@code domain} now, or empty when none applies: no record and nothing cached,
     * or a record whose policy could not be fetched with no unexpired policy cached (RFC 8461 §5: deliver as if the
     * domain had no policy). Never throws.
     */
    Optional<MtaStsPolicy> policyFor(String domain);
}
