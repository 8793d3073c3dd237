package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import org.dispatchmail.core.mtasts.MtaStsFetcher.FailureKind;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.junit.jupiter.api.Test;

/**
 * What every MTA-STS store must do, run against the in-memory store here and against Cassandra in the integration
 * tests, so the double cannot drift from the real thing.
 */
public abstract class MtaStsStoreContract {
    protected static final Instant T0 = Instant.parse("2026-12-07T10:00:00.123Z");

    /** One view of the shared store, as a node sees it. */
    protected abstract MtaStsStore node();

    /** Another view of the same store, as a second node sees it. */
    protected abstract MtaStsStore otherNode();

    /** The clock the store's TTLs run on. */
    protected abstract Clock clock();

    /** Lets {@code keepFor} pass: the in-memory store moves its clock, Cassandra's TTL runs in real time. */
    protected abstract void letPass(Duration keepFor);

    private final String domain = "sts-" + UUID.randomUUID() + ".test";

    private static MtaStsPolicy enforce(long maxAgeSeconds) {
        return new MtaStsPolicy(Mode.ENFORCE, List.of(MxPattern.parse("mx1.example.test").orElseThrow(),
            MxPattern.parse("*.Mail.Example.Test.").orElseThrow()), Duration.ofSeconds(maxAgeSeconds));
    }

    @Test
    void nothingIsStoredForAnUnknownDomain() {
        assertThat(node().read(domain)).isEmpty();
    }

    @Test
    void aSavedPolicyReadsBackExactlyOnEveryNode() {
        StoredPolicy policy = new StoredPolicy("20261207T1", enforce(604_800), T0);
        node().save(domain, policy, Duration.ofDays(8));

        MtaStsStore.Entry entry = otherNode().read(domain).orElseThrow();
        assertThat(entry.policy()).contains(policy);
        assertThat(entry.policy().orElseThrow().expiresAt()).isEqualTo(T0.plusSeconds(604_800));
        assertThat(entry.policy().orElseThrow().policy().allowsMx("a.mail.example.test")).isTrue();
        assertThat(entry.lastFailure()).isEmpty();
    }

    @Test
    void everyModeAndAPolicyWithoutMxRoundTrip() {
        for (Mode mode : Mode.values()) {
            List<MxPattern> mx = mode == Mode.NONE ? List.of() : List.of(MxPattern.parse("mx.example.test").orElseThrow());
            StoredPolicy policy = new StoredPolicy("id" + mode.word(),
                new MtaStsPolicy(mode, mx, MtaStsPolicy.MAX_AGE_LIMIT), T0);
            node().save(domain, policy, Duration.ofDays(1));
            assertThat(otherNode().read(domain).orElseThrow().policy()).contains(policy);
        }
    }

    @Test
    void aFailedRefreshIsRecordedBesideThePolicyWithoutTouchingIt() {
        StoredPolicy policy = new StoredPolicy("old1", enforce(86_400), T0);
        node().save(domain, policy, Duration.ofDays(2));
        RefreshFailure failure = new RefreshFailure("new2", T0.plusSeconds(3600), "TIMEOUT: no reply in time");

        otherNode().recordFailure(domain, failure, Duration.ofDays(2));

        MtaStsStore.Entry entry = node().read(domain).orElseThrow();
        assertThat(entry.policy()).contains(policy);
        assertThat(entry.lastFailure()).contains(failure);
    }

    @Test
    void aFailureWithNothingStoredIsKeptOnItsOwn() {
        RefreshFailure failure = new RefreshFailure("abc", T0, "HTTP_STATUS: HTTP 404");
        node().recordFailure(domain, failure, Duration.ofHours(1));

        assertThat(otherNode().read(domain)).contains(new MtaStsStore.Entry(Optional.empty(), Optional.of(failure)));
    }

    @Test
    void aSaveReplacesThePolicyAndClearsTheLastFailure() {
        node().save(domain, new StoredPolicy("old1", enforce(86_400), T0), Duration.ofDays(2));
        node().recordFailure(domain, new RefreshFailure("new2", T0.plusSeconds(60), "TIMEOUT"), Duration.ofDays(2));
        StoredPolicy fresh = new StoredPolicy("new2", new MtaStsPolicy(Mode.TESTING,
            List.of(MxPattern.parse("mx2.example.test").orElseThrow()), Duration.ofSeconds(3600)), T0.plusSeconds(400));

        otherNode().save(domain, fresh, Duration.ofDays(1));

        assertThat(node().read(domain)).contains(new MtaStsStore.Entry(Optional.of(fresh), Optional.empty()));
    }

    @Test
    void aPolicyDisappearsByItselfOnceItsKeepForHasPassed() throws Exception {
        node().save(domain, new StoredPolicy("short1", enforce(1), T0), Duration.ofSeconds(1));
        node().recordFailure(domain, new RefreshFailure("short2", T0, "TIMEOUT"), Duration.ofSeconds(1));

        letPass(Duration.ofSeconds(1));

        Instant deadline = Instant.now().plusSeconds(20);
        while (node().read(domain).isPresent() && Instant.now().isBefore(deadline)) {
            Thread.sleep(250);
        }
        assertThat(node().read(domain)).isEmpty();
    }

    @Test
    void aPolicyOneNodeFetchedIsAppliedByAnotherWhosePolicyHostIsDownAndAfterARestartWithDnsBlocked() {
        String record = "_mta-sts." + domain;
        Function<String, Optional<List<String>>> dns =
            name -> Optional.of(name.equals(record) ? List.of("v=STSv1; id=shared1") : List.of());
        MtaStsPolicy policy = enforce(86_400);
        CachingMtaStsPolicySource first = new CachingMtaStsPolicySource(node(), dns,
            d -> MtaStsFetcher.Fetch.of(policy), Duration.ofMinutes(1), clock());
        AtomicInteger fetches = new AtomicInteger();
        Function<String, MtaStsFetcher.Fetch> hostDown = d -> {
            fetches.incrementAndGet();
            return MtaStsFetcher.Fetch.failed(FailureKind.CONNECTION_FAILED, "policy host down");
        };

        assertThat(first.policyFor(domain)).contains(policy);
        CachingMtaStsPolicySource second = new CachingMtaStsPolicySource(otherNode(), dns, hostDown,
            Duration.ofMinutes(1), clock());
        assertThat(second.policyFor(domain)).contains(policy);
        assertThat(fetches.get()).isZero();

        // a node that starts afresh, its DNS answers blocked and the policy host unreachable, still enforces
        CachingMtaStsPolicySource restarted = new CachingMtaStsPolicySource(otherNode(), name -> Optional.empty(),
            hostDown, Duration.ofMinutes(1), clock());
        assertThat(restarted.policyFor(domain)).contains(policy);
        assertThat(fetches.get()).isZero();
    }
}
