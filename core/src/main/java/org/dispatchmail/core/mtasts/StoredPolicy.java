package org.dispatchmail.core.mtasts;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * A policy as a sender keeps it (RFC 8461 §5.1): the policy, the TXT {@code id} it was fetched under and when it was
 * fetched. It may be applied until {@code fetchedAt + max_age}; times are kept to the millisecond, as stored.
 */
public final class StoredPolicy {
    private final String id;
    private final MtaStsPolicy policy;
    private final Instant fetchedAt;

    public StoredPolicy(String id, MtaStsPolicy policy, Instant fetchedAt) {
        this.id = Objects.requireNonNull(id, "id");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.fetchedAt = fetchedAt.truncatedTo(ChronoUnit.MILLIS);
    }

    /** The {@code id} of the {@code _mta-sts} record the policy was fetched under. */
    public String id() {
        return id;
    }

    public MtaStsPolicy policy() {
        return policy;
    }

    public Instant fetchedAt() {
        return fetchedAt;
    }

    /** From this instant on the policy must no longer be applied: {@code fetchedAt + max_age}. */
    public Instant expiresAt() {
        return fetchedAt.plus(policy.maxAge());
    }

    public boolean isExpiredAt(Instant now) {
        return !now.isBefore(expiresAt());
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof StoredPolicy)) {
            return false;
        }
        StoredPolicy other = (StoredPolicy) o;
        return id.equals(other.id) && policy.equals(other.policy) && fetchedAt.equals(other.fetchedAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, policy, fetchedAt);
    }

    @Override
    public String toString() {
        return "id=" + id + " " + policy + " fetched " + fetchedAt + " expires " + expiresAt();
    }
}
