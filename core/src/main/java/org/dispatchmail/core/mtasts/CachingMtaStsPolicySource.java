package org.dispatchmail.core.mtasts;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MTA-STS policy of each domain, kept in the shared {@link MtaStsStore} and refreshed as {@link MtaStsRefresh}
 * decides. Every delivery asks, so a node remembers each domain's answer for {@code recheckInterval} (never past
 * the policy's expiry): a busy domain then costs neither a TXT lookup nor a store read per message. When that
 * memory is stale the node reads the store, so a policy another node fetched is used here too. At most one
 * resolution (and so one fetch) per domain runs at a time on a node; meanwhile other deliveries to that domain use
 * the node's answer from before (an unexpired policy stays in force), and only when there is none do they wait. Never throws: a store that cannot be read is replaced by what this node last knew of the domain.
 */
public final class CachingMtaStsPolicySource implements MtaStsPolicySource {
    private static final Logger LOGGER = LoggerFactory.getLogger(CachingMtaStsPolicySource.class);

    /** Above this many remembered domains, the stale ones are forgotten. */
    private static final int MEMORY_LIMIT = 10_000;

    private final MtaStsStore store;
    private final Function<String, Optional<List<String>>> txtRecords;
    private final Function<String, MtaStsFetcher.Fetch> fetcher;
    private final Duration recheckInterval;
    private final Clock clock;
    private final Map<String, Known> memory = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<Known>> resolving = new ConcurrentHashMap<>();

    /**
     * @param txtRecords      a name's TXT records, each one's strings joined, or empty when DNS did not answer (as
     *                        {@code DnsTxtLookup.records} gives them)
     * @param fetcher         fetches a domain's policy ({@link MtaStsFetcher#fetch})
     * @param recheckInterval how long a node uses a domain's answer before it looks again
     */
    public CachingMtaStsPolicySource(MtaStsStore store, Function<String, Optional<List<String>>> txtRecords,
                                     Function<String, MtaStsFetcher.Fetch> fetcher, Duration recheckInterval,
                                     Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.txtRecords = Objects.requireNonNull(txtRecords, "txtRecords");
        this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
        if (recheckInterval.isNegative()) {
            throw new IllegalArgumentException("negative recheck interval: " + recheckInterval);
        }
        this.recheckInterval = recheckInterval;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Optional<MtaStsPolicy> policyFor(String domain) {
        String key = normalise(domain);
        Known known = memory.get(key);
        if (known != null && known.freshAt(clock.instant())) {
            return known.answer();
        }
        CompletableFuture<Known> mine = new CompletableFuture<>();
        CompletableFuture<Known> running = resolving.putIfAbsent(key, mine);
        if (running != null) {
            if (known != null) {
                // another delivery is resolving this domain (a fetch may take a while): the answer from before
                // holds meanwhile, as RFC 8461 §5.1 allows, rather than a thread per delivery waiting for it
                return known.answerAt(clock.instant());
            }
            return running.join().answer();
        }
        try {
            Known now = memory.get(key);
            if (now == null || !now.freshAt(clock.instant())) {
                now = resolve(key, Optional.ofNullable(now));
                remember(key, now);
            }
            mine.complete(now);
            return now.answer();
        } catch (RuntimeException e) {
            // a bug or a resolver that threw: deliver with what was known, never fail the delivery for it
            LOGGER.warn("MTA-STS: could not resolve the policy of {}: {}", key, e.toString());
            Instant now = clock.instant();
            Optional<StoredPolicy> stillValid = Optional.ofNullable(known).flatMap(k -> k.inForce)
                .filter(policy -> !policy.isExpiredAt(now));
            Known fallback = new Known(Optional.ofNullable(known).flatMap(Known::stored), stillValid,
                freshUntil(now, stillValid));
            remember(key, fallback);
            mine.complete(fallback);
            return fallback.answer();
        } finally {
            // even after an Error, no delivery may wait for ever on this resolution
            mine.complete(new Known(Optional.empty(), Optional.empty(), clock.instant()));
            resolving.remove(key, mine);
        }
    }

    private Known resolve(String domain, Optional<Known> before) {
        Instant now = clock.instant();
        Optional<MtaStsStore.Entry> stored;
        try {
            stored = store.read(domain);
        } catch (RuntimeException e) {
            stored = before.flatMap(Known::stored);
            LOGGER.warn("MTA-STS: cannot read the stored policy of {} ({}); using what this node knew: {}", domain,
                e.getMessage(), stored.map(Object::toString).orElse("nothing"));
        }
        MtaStsRecord.Lookup txt = MtaStsRecord.lookUp(domain, txtRecords);
        MtaStsRefresh.Plan plan = MtaStsRefresh.plan(stored, txt, now);
        LOGGER.debug("MTA-STS {}: {}", domain, plan);
        switch (plan.action()) {
            case USE_STORED:
                return new Known(stored, plan.stored(), freshUntil(now, plan.stored()));
            case NO_POLICY:
                return new Known(stored, Optional.empty(), freshUntil(now, Optional.empty()));
            default:
                return fetch(domain, stored, plan);
        }
    }

    private Known fetch(String domain, Optional<MtaStsStore.Entry> stored, MtaStsRefresh.Plan plan) {
        MtaStsFetcher.Fetch fetch = fetcher.apply(domain);
        Instant now = clock.instant();
        MtaStsRefresh.Result result = MtaStsRefresh.afterFetch(stored, plan.fetchId(), fetch, now);
        try {
            if (result.save().isPresent()) {
                store.save(domain, result.save().get(), result.keepFor());
            }
            if (result.failure().isPresent()) {
                store.recordFailure(domain, result.failure().get(), result.keepFor());
            }
        } catch (RuntimeException e) {
            LOGGER.warn("MTA-STS: cannot store the outcome of fetching the policy of {}: {}", domain, e.getMessage());
        }
        if (result.save().isPresent()) {
            LOGGER.info("MTA-STS policy of {} fetched ({}): {}", domain, plan.reason(), result.save().get());
        } else if (result.inForce().map(p -> p.policy().mode() != MtaStsPolicy.Mode.NONE).orElse(true)) {
            // RFC 8461 §3.3: tell the administrator a refresh failed, unless the policy in force is mode none
            LOGGER.warn("MTA-STS: cannot fetch the policy of {} ({}): {}; in force: {}", domain, plan.reason(),
                fetch, result.inForce().map(Object::toString).orElse("no policy"));
        }
        return new Known(Optional.of(result.stored()), result.inForce(), freshUntil(now, result.inForce()));
    }

    /** The answer is used until the next recheck, never past the policy's expiry. */
    private Instant freshUntil(Instant now, Optional<StoredPolicy> inForce) {
        Instant until = now.plus(recheckInterval);
        if (inForce.isPresent() && inForce.get().expiresAt().isBefore(until)) {
            return inForce.get().expiresAt();
        }
        return until;
    }

    private void remember(String domain, Known known) {
        if (memory.size() >= MEMORY_LIMIT) {
            Instant now = clock.instant();
            memory.values().removeIf(k -> !k.freshAt(now));
        }
        memory.put(domain, known);
    }

    private static String normalise(String domain) {
        String lower = domain.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /** What a node knows of a domain: what the store held, the policy in force, until when to trust it. */
    private static final class Known {
        private final Optional<MtaStsStore.Entry> stored;
        private final Optional<StoredPolicy> inForce;
        private final Instant freshUntil;

        Known(Optional<MtaStsStore.Entry> stored, Optional<StoredPolicy> inForce, Instant freshUntil) {
            this.stored = stored;
            this.inForce = inForce;
            this.freshUntil = freshUntil;
        }

        Optional<MtaStsStore.Entry> stored() {
            return stored;
        }

        boolean freshAt(Instant now) {
            return now.isBefore(freshUntil);
        }

        /** What delivery applies: the policy in force, none for mode none (a withdrawn policy). */
        Optional<MtaStsPolicy> answer() {
            return inForce.map(StoredPolicy::policy).filter(policy -> policy.mode() != MtaStsPolicy.Mode.NONE);
        }

        /** The answer, once stale: the policy only while unexpired. */
        Optional<MtaStsPolicy> answerAt(Instant now) {
            return inForce.filter(policy -> !policy.isExpiredAt(now)).map(StoredPolicy::policy)
                .filter(policy -> policy.mode() != MtaStsPolicy.Mode.NONE);
        }
    }
}
