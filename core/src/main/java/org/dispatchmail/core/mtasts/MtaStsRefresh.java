package org.dispatchmail.core.mtasts;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.dispatchmail.core.mtasts.MtaStsRecord.Lookup;

/**
 * Decides, without any I/O, which MTA-STS policy is in force for a domain and whether to fetch it (RFC 8461 §3.1,
 * §3.3, §5.1, §10.2), from what the store holds, what the {@code _mta-sts} TXT lookup said and the time:
 *
 * <ul>
 * <li>A valid record whose id is the stored policy's, that policy unexpired and not yet due for a refresh: the
 * stored policy, no fetch.</li>
 * <li>A valid record with another id, or nothing stored, or the stored policy expired or due for a refresh: fetch,
 * unless a fetch for that same id failed less than {@link #FETCH_RETRY_AFTER} ago (§3.3 suggests waiting five
 * minutes per id, so a policy host that is down is not asked for every message).</li>
 * <li>No valid record (none, several, malformed) or no answer from DNS: the stored policy while it is unexpired
 * (§3.1: the absence of a record does not remove a cached policy; §10.2: an attacker who blocks DNS must not
 * downgrade), otherwise none.</li>
 * <li>After a fetch: a policy is stored and in force, mode {@code none} included (a withdrawal is a policy, it
 * replaces an older enforce one); a failed fetch is recorded, and the stored policy stays in force while it is
 * unexpired, otherwise there is none (§3.3: deliver as though the domain had no policy).</li>
 * </ul>
 *
 * <p>A stored policy is refreshed before it expires (§3.3: proactively, about once a day): once it is older than
 * {@link #REFRESH_AFTER} or half its max_age, whichever is shorter.
 */
public final class MtaStsRefresh {

    /** A stored policy is fetched again once this old (or half its max_age, if shorter): §3.3's once a day. */
    public static final Duration REFRESH_AFTER = Duration.ofDays(1);

    /** After a failed fetch, the same id is not fetched again before this (§3.3: five minutes or longer). */
    public static final Duration FETCH_RETRY_AFTER = Duration.ofMinutes(5);

    /** A stored row stays this long past the policy's expiry (for operators), then disappears by itself. */
    public static final Duration KEEP_AFTER_EXPIRY = Duration.ofDays(1);

    /** A failed refresh is remembered at least this long, beyond the stored policy if need be. */
    public static final Duration KEEP_FAILURE = Duration.ofDays(1);

    private MtaStsRefresh() {
    }

    /** What to do before any fetch. */
    public static final class Plan {
        /** The three ways forward. */
        public enum Action {
            /** The stored policy is in force. */
            USE_STORED,
            /** Fetch the policy of {@link #fetchId()}. */
            FETCH,
            /** No policy is in force. */
            NO_POLICY
        }

        private final Action action;
        private final StoredPolicy stored;
        private final String fetchId;
        private final String reason;

        private Plan(Action action, StoredPolicy stored, String fetchId, String reason) {
            this.action = action;
            this.stored = stored;
            this.fetchId = fetchId;
            this.reason = reason;
        }

        public Action action() {
            return action;
        }

        /** For USE_STORED: the policy in force. */
        public Optional<StoredPolicy> stored() {
            return Optional.ofNullable(stored);
        }

        /** For FETCH: the id of the TXT record the policy is fetched under. */
        public String fetchId() {
            if (fetchId == null) {
                throw new IllegalStateException("no fetch planned: " + this);
            }
            return fetchId;
        }

        /** Why, for logs. */
        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return action + ": " + reason;
        }
    }

    /** After a fetch: what to write, and the policy in force. */
    public static final class Result {
        private final StoredPolicy inForce;
        private final StoredPolicy save;
        private final RefreshFailure failure;
        private final Duration keepFor;
        private final MtaStsStore.Entry stored;

        private Result(StoredPolicy inForce, StoredPolicy save, RefreshFailure failure, Duration keepFor,
                       MtaStsStore.Entry stored) {
            this.inForce = inForce;
            this.save = save;
            this.failure = failure;
            this.keepFor = keepFor;
            this.stored = stored;
        }

        /** The policy in force now: the one fetched, the stored one when the fetch failed, or none. */
        public Optional<StoredPolicy> inForce() {
            return Optional.ofNullable(inForce);
        }

        /** The policy fetched, to store for {@link #keepFor()}. */
        public Optional<StoredPolicy> save() {
            return Optional.ofNullable(save);
        }

        /** The failed fetch, to record for {@link #keepFor()}. */
        public Optional<RefreshFailure> failure() {
            return Optional.ofNullable(failure);
        }

        /** How long the store keeps what is written (its TTL). */
        public Duration keepFor() {
            return keepFor;
        }

        /** What the store holds once this is written. */
        public MtaStsStore.Entry stored() {
            return stored;
        }
    }

    /** What to do for a domain, given what is stored for it, its TXT lookup and the time. */
    public static Plan plan(Optional<MtaStsStore.Entry> stored, Lookup txt, Instant now) {
        Optional<StoredPolicy> live = live(stored, now);
        if (txt.kind() != Lookup.Kind.FOUND) {
            if (live.isPresent()) {
                return new Plan(Plan.Action.USE_STORED, live.get(), null,
                    "the stored policy applies until it expires, whatever DNS says (" + txt + ")");
            }
            return new Plan(Plan.Action.NO_POLICY, null, null, txt.toString());
        }
        String id = txt.record().orElseThrow().id();
        if (live.isPresent() && live.get().id().equals(id) && !refreshDue(live.get(), now)) {
            return new Plan(Plan.Action.USE_STORED, live.get(), null, "the stored policy is current (id=" + id + ")");
        }
        Optional<RefreshFailure> failed = stored.flatMap(MtaStsStore.Entry::lastFailure)
            .filter(failure -> failure.id().equals(id) && now.isBefore(failure.at().plus(FETCH_RETRY_AFTER)));
        if (failed.isPresent()) {
            String why = "not fetched again before " + failed.get().at().plus(FETCH_RETRY_AFTER) + " after "
                + failed.get();
            return live.map(policy -> new Plan(Plan.Action.USE_STORED, policy, null, why))
                .orElseGet(() -> new Plan(Plan.Action.NO_POLICY, null, null, why));
        }
        String why = live.isEmpty() ? "no unexpired policy stored"
            : !live.get().id().equals(id) ? "the id changed from " + live.get().id()
            : "the stored policy is due for a refresh";
        return new Plan(Plan.Action.FETCH, null, id, why + ", fetching id=" + id);
    }

    /** What follows the fetch of {@code id}'s policy, done at {@code now}. */
    public static Result afterFetch(Optional<MtaStsStore.Entry> stored, String id, MtaStsFetcher.Fetch fetch,
                                    Instant now) {
        Objects.requireNonNull(id, "id");
        if (fetch.policy().isPresent()) {
            StoredPolicy fetched = new StoredPolicy(id, fetch.policy().get(), now);
            return new Result(fetched, fetched, null, keepFor(fetched, now),
                new MtaStsStore.Entry(Optional.of(fetched), Optional.empty()));
        }
        RefreshFailure failure = new RefreshFailure(id, now, fetch.toString());
        Optional<StoredPolicy> live = live(stored, now);
        Duration keepFor = live.map(policy -> keepFor(policy, now)).filter(keep -> keep.compareTo(KEEP_FAILURE) > 0)
            .orElse(KEEP_FAILURE);
        Optional<StoredPolicy> kept = stored.flatMap(MtaStsStore.Entry::policy);
        return new Result(live.orElse(null), null, failure, keepFor,
            new MtaStsStore.Entry(kept, Optional.of(failure)));
    }

    /** How long the store keeps a policy: until it expires, and {@link #KEEP_AFTER_EXPIRY} more. */
    public static Duration keepFor(StoredPolicy policy, Instant now) {
        Duration left = Duration.between(now, policy.expiresAt());
        return (left.isNegative() ? Duration.ZERO : left).plus(KEEP_AFTER_EXPIRY);
    }

    /** Whether a stored policy should be fetched again, though still unexpired. */
    static boolean refreshDue(StoredPolicy policy, Instant now) {
        Duration half = policy.policy().maxAge().dividedBy(2);
        Duration age = half.compareTo(REFRESH_AFTER) < 0 ? half : REFRESH_AFTER;
        return !now.isBefore(policy.fetchedAt().plus(age));
    }

    private static Optional<StoredPolicy> live(Optional<MtaStsStore.Entry> stored, Instant now) {
        return stored.flatMap(MtaStsStore.Entry::policy).filter(policy -> !policy.isExpiredAt(now));
    }
}
