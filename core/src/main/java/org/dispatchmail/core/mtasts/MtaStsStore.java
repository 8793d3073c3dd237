package org.dispatchmail.core.mtasts;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * MTA-STS policies kept per policy domain and shared by every node, so a policy survives restarts and a policy host
 * that an attacker blocks later (RFC 8461 §10.2). A row holds the last policy fetched and the last failed refresh;
 * each part disappears by itself once its {@code keepFor} has passed. Domains are given lower case, without a
 * trailing dot.
 */
public interface MtaStsStore {

    /** What is stored for {@code domain}; empty when nothing is. */
    Optional<Entry> read(String domain);

    /** Stores a policy just fetched, replacing the stored policy and clearing the last failure. */
    void save(String domain, StoredPolicy policy, Duration keepFor);

    /** Records a failed refresh; the stored policy, if any, is left as it is. */
    void recordFailure(String domain, RefreshFailure failure, Duration keepFor);

    /** A domain's row: the policy last fetched and the last failed refresh since, either or both. */
    final class Entry {
        private final Optional<StoredPolicy> policy;
        private final Optional<RefreshFailure> lastFailure;

        public Entry(Optional<StoredPolicy> policy, Optional<RefreshFailure> lastFailure) {
            this.policy = Objects.requireNonNull(policy, "policy");
            this.lastFailure = Objects.requireNonNull(lastFailure, "lastFailure");
        }

        public Optional<StoredPolicy> policy() {
            return policy;
        }

        public Optional<RefreshFailure> lastFailure() {
            return lastFailure;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry && ((Entry) o).policy.equals(policy)
                && ((Entry) o).lastFailure.equals(lastFailure);
        }

        @Override
        public int hashCode() {
            return Objects.hash(policy, lastFailure);
        }

        @Override
        public String toString() {
            return policy.map(StoredPolicy::toString).orElse("no policy")
                + lastFailure.map(failure -> "; last " + failure).orElse("");
        }
    }
}
