package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.mtasts.MtaStsFetcher.FailureKind;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.junit.jupiter.api.Test;

/** The source over an in-memory store, a scripted DNS and policy host, and a clock the tests move. */
class CachingMtaStsPolicySourceTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final Duration RECHECK = Duration.ofMinutes(1);
    private static final MtaStsPolicy ENFORCE = MtaStsRefreshTest.policy(Mode.ENFORCE, Duration.ofDays(7));
    private static final MtaStsPolicy TESTING = MtaStsRefreshTest.policy(Mode.TESTING, Duration.ofDays(7));

    private final MovableClock clock = new MovableClock(T0);
    private final CountingStore store = new CountingStore(new InMemoryMtaStsStore(clock));
    private final Dns dns = new Dns();
    private final PolicyHost host = new PolicyHost();
    private final CachingMtaStsPolicySource source = node(host);

    private CachingMtaStsPolicySource node(PolicyHost policyHost) {
        return new CachingMtaStsPolicySource(store, dns, policyHost, RECHECK, clock);
    }

    @Test
    void aDomainWithoutARecordHasNoPolicyAndIsLookedUpOncePerRecheckInterval() {
        for (int i = 0; i < 100; i++) {
            assertThat(source.policyFor("plain.test")).isEmpty();
        }
        assertThat(dns.lookups.get()).isEqualTo(1);
        assertThat(store.reads.get()).isEqualTo(1);
        assertThat(host.fetches.get()).isZero();

        clock.advance(RECHECK);
        assertThat(source.policyFor("plain.test")).isEmpty();
        assertThat(dns.lookups.get()).isEqualTo(2);
    }

    @Test
    void aPolicyIsFetchedOnceStoredAndAnsweredFromMemoryUntilTheRecheck() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);

        for (int i = 0; i < 100; i++) {
            assertThat(source.policyFor("example.test")).contains(ENFORCE);
        }
        assertThat(host.fetches.get()).isEqualTo(1);
        assertThat(dns.lookups.get()).isEqualTo(1);
        assertThat(store.reads.get()).isEqualTo(1);
        assertThat(store.read("example.test").orElseThrow().policy())
            .contains(new StoredPolicy("id1", ENFORCE, T0));

        clock.advance(RECHECK);
        assertThat(source.policyFor("Example.TEST.")).as("same id: not fetched again").contains(ENFORCE);
        assertThat(host.fetches.get()).isEqualTo(1);
        assertThat(dns.lookups.get()).isEqualTo(2);
    }

    @Test
    void aNewIdIsFetchedAtTheNextRecheck() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        dns.publish("example.test", "id2");
        host.serve(TESTING);
        assertThat(source.policyFor("example.test")).as("memory still fresh").contains(ENFORCE);
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(TESTING);
        assertThat(host.fetches.get()).isEqualTo(2);
        assertThat(store.read("example.test").orElseThrow().policy().orElseThrow().id()).isEqualTo("id2");
    }

    @Test
    void aPolicyFetchedByOneNodeIsUsedByAnotherWithoutFetching() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        PolicyHost down = new PolicyHost();
        down.fail(FailureKind.CONNECTION_FAILED);
        CachingMtaStsPolicySource otherNode = node(down);
        assertThat(otherNode.policyFor("example.test")).contains(ENFORCE);
        assertThat(down.fetches.get()).isZero();
    }

    @Test
    void whenTheRefreshFailsTheStoredPolicyStaysInForceUntilItExpiresAndTheErrorIsRecorded() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        dns.publish("example.test", "id2");
        host.fail(FailureKind.TIMEOUT);
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        MtaStsStore.Entry entry = store.read("example.test").orElseThrow();
        assertThat(entry.policy().orElseThrow().id()).isEqualTo("id1");
        assertThat(entry.lastFailure().orElseThrow().id()).isEqualTo("id2");
        assertThat(entry.lastFailure().orElseThrow().error()).startsWith("TIMEOUT");

        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        assertThat(host.fetches.get()).as("not fetched again within five minutes").isEqualTo(2);
        clock.advance(Duration.ofMinutes(4));
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        assertThat(host.fetches.get()).isEqualTo(3);

        clock.advance(Duration.ofDays(7));
        assertThat(source.policyFor("example.test")).as("expired").isEmpty();
    }

    @Test
    void aFailedFetchWithNothingStoredMeansNoPolicyAndIsRecorded() {
        dns.publish("example.test", "id1");
        host.fail(FailureKind.HTTP_STATUS);

        assertThat(source.policyFor("example.test")).isEmpty();
        assertThat(store.read("example.test").orElseThrow().lastFailure().orElseThrow().error())
            .startsWith("HTTP_STATUS");
        assertThat(store.read("example.test").orElseThrow().policy()).isEmpty();

        host.serve(ENFORCE);
        clock.advance(Duration.ofMinutes(5));
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
    }

    @Test
    void modeNoneIsStoredButNotApplied() {
        dns.publish("example.test", "id1");
        host.serve(MtaStsRefreshTest.policy(Mode.NONE, Duration.ofDays(1)));

        assertThat(source.policyFor("example.test")).isEmpty();
        assertThat(store.read("example.test").orElseThrow().policy().orElseThrow().policy().mode())
            .isEqualTo(Mode.NONE);
    }

    @Test
    void aRemovedRecordOrAFailingDnsDoesNotRemoveTheStoredPolicy() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        dns.remove("example.test");
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        dns.failing = true;
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        assertThat(host.fetches.get()).isEqualTo(1);

        clock.advance(Duration.ofDays(7));
        assertThat(source.policyFor("example.test")).isEmpty();
    }

    @Test
    void anUnreadableStoreFallsBackOnWhatTheNodeKnew() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        store.failing = true;
        dns.failing = true;
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        assertThat(source.policyFor("other.test")).isEmpty();
    }

    @Test
    void aResolverThatThrowsGivesWhatWasKnownNeverAnException() {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        dns.throwing = true;
        clock.advance(RECHECK);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);
        assertThat(source.policyFor("other.test")).isEmpty();
    }

    @Test
    void theMemoryNeverOutlivesThePolicy() {
        MtaStsPolicy short30s = MtaStsRefreshTest.policy(Mode.ENFORCE, Duration.ofSeconds(30));
        dns.publish("example.test", "id1");
        host.serve(short30s);
        assertThat(source.policyFor("example.test")).contains(short30s);

        dns.failing = true;
        clock.advance(Duration.ofSeconds(30));
        assertThat(source.policyFor("example.test")).isEmpty();
    }

    @Test
    void atMostOneFetchPerDomainRunsAtATimeAndTheOthersShareItsAnswer() throws Exception {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        host.gate = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Optional<MtaStsPolicy>>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                answers.add(threads.submit(() -> source.policyFor("example.test")));
            }
            host.entered.await(5, TimeUnit.SECONDS);
            host.gate.countDown();
            for (Future<Optional<MtaStsPolicy>> answer : answers) {
                assertThat(answer.get(5, TimeUnit.SECONDS)).contains(ENFORCE);
            }
            assertThat(host.fetches.get()).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void whileARefreshIsSlowOtherDeliveriesUseTheAnswerFromBefore() throws Exception {
        dns.publish("example.test", "id1");
        host.serve(ENFORCE);
        assertThat(source.policyFor("example.test")).contains(ENFORCE);

        dns.publish("example.test", "id2");
        host.serve(TESTING);
        host.gate = new CountDownLatch(1);
        host.entered = new CountDownLatch(1);
        clock.advance(RECHECK);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<Optional<MtaStsPolicy>> refreshing = thread.submit(() -> source.policyFor("example.test"));
            assertThat(host.entered.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(source.policyFor("example.test")).as("no wait for the fetch").contains(ENFORCE);
            host.gate.countDown();
            assertThat(refreshing.get(5, TimeUnit.SECONDS)).contains(TESTING);
            assertThat(source.policyFor("example.test")).contains(TESTING);
        } finally {
            thread.shutdownNow();
        }
    }

    /** A DNS whose {@code _mta-sts} records the test sets. */
    private static final class Dns implements java.util.function.Function<String, Optional<List<String>>> {
        final Map<String, List<String>> records = new ConcurrentHashMap<>();
        final AtomicInteger lookups = new AtomicInteger();
        volatile boolean failing;
        volatile boolean throwing;

        void publish(String domain, String id) {
            records.put("_mta-sts." + domain, List.of("v=STSv1; id=" + id));
        }

        void remove(String domain) {
            records.remove("_mta-sts." + domain);
        }

        @Override
        public Optional<List<String>> apply(String name) {
            lookups.incrementAndGet();
            if (throwing) {
                throw new IllegalStateException("resolver broke");
            }
            return failing ? Optional.empty() : Optional.of(records.getOrDefault(name, List.of()));
        }
    }

    /** A policy host that serves a policy or fails, optionally holding each fetch until the gate opens. */
    private static final class PolicyHost implements java.util.function.Function<String, MtaStsFetcher.Fetch> {
        final AtomicInteger fetches = new AtomicInteger();
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile MtaStsFetcher.Fetch next = MtaStsFetcher.Fetch.failed(FailureKind.CONNECTION_FAILED, "no host");
        volatile CountDownLatch gate;

        void serve(MtaStsPolicy policy) {
            next = MtaStsFetcher.Fetch.of(policy);
        }

        void fail(FailureKind kind) {
            next = MtaStsFetcher.Fetch.failed(kind, "test failure");
        }

        @Override
        public MtaStsFetcher.Fetch apply(String domain) {
            fetches.incrementAndGet();
            entered.countDown();
            if (gate != null) {
                try {
                    gate.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return next;
        }
    }

    /** Counts reads; fails every call while {@code failing}, as Cassandra away would. */
    private static final class CountingStore implements MtaStsStore {
        final MtaStsStore delegate;
        final AtomicInteger reads = new AtomicInteger();
        volatile boolean failing;

        CountingStore(MtaStsStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<Entry> read(String domain) {
            reads.incrementAndGet();
            check();
            return delegate.read(domain);
        }

        @Override
        public void save(String domain, StoredPolicy policy, Duration keepFor) {
            check();
            delegate.save(domain, policy, keepFor);
        }

        @Override
        public void recordFailure(String domain, RefreshFailure failure, Duration keepFor) {
            check();
            delegate.recordFailure(domain, failure, keepFor);
        }

        private void check() {
            if (failing) {
                throw new IllegalStateException("Cassandra away");
            }
        }
    }
}
