package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.mtasts.MtaStsFetcher.FailureKind;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.dispatchmail.core.mtasts.MtaStsRefresh.Plan.Action;
import org.junit.jupiter.api.Test;

/** Every branch of the decision: which policy is in force, when to fetch, what to store (RFC 8461 §3.3, §5.1). */
class MtaStsRefreshTest {
    private static final Instant T0 = Instant.parse("2026-12-07T10:00:00Z");
    private static final MtaStsPolicy WEEK = policy(Mode.ENFORCE, Duration.ofDays(7));
    private static final StoredPolicy STORED = new StoredPolicy("id1", WEEK, T0);

    static MtaStsPolicy policy(Mode mode, Duration maxAge) {
        return new MtaStsPolicy(mode, mode == Mode.NONE ? List.of()
            : List.of(MxPattern.parse("mx.example.test").orElseThrow()), maxAge);
    }

    static MtaStsRecord.Lookup record(String id) {
        return MtaStsRecord.fromTxt(List.of("v=STSv1; id=" + id));
    }

    static MtaStsRecord.Lookup noRecord() {
        return MtaStsRecord.fromTxt(List.of("v=spf1 -all"));
    }

    static MtaStsRecord.Lookup dnsFailed() {
        return MtaStsRecord.lookUp("example.test", name -> Optional.empty());
    }

    private static Optional<MtaStsStore.Entry> stored(StoredPolicy policy) {
        return Optional.of(new MtaStsStore.Entry(Optional.of(policy), Optional.empty()));
    }

    private static Optional<MtaStsStore.Entry> stored(Optional<StoredPolicy> policy, RefreshFailure failure) {
        return Optional.of(new MtaStsStore.Entry(policy, Optional.of(failure)));
    }

    @Test
    void noValidRecordAndNothingStoredMeansNoPolicy() {
        for (MtaStsRecord.Lookup txt : List.of(noRecord(), dnsFailed(), MtaStsRecord.fromTxt(List.of("v=STSv1; x")),
            MtaStsRecord.fromTxt(List.of("v=STSv1; id=a", "v=STSv1; id=b")))) {
            assertThat(MtaStsRefresh.plan(Optional.empty(), txt, T0).action()).as(txt.toString())
                .isEqualTo(Action.NO_POLICY);
        }
    }

    @Test
    void withoutAValidRecordTheStoredPolicyAppliesUntilItExpires() {
        for (MtaStsRecord.Lookup txt : List.of(noRecord(), dnsFailed(), MtaStsRecord.fromTxt(List.of("v=STSv1; x")),
            MtaStsRecord.fromTxt(List.of("v=STSv1; id=a", "v=STSv1; id=b")))) {
            MtaStsRefresh.Plan plan = MtaStsRefresh.plan(stored(STORED), txt, T0.plus(Duration.ofDays(6)));
            assertThat(plan.action()).as(txt.toString()).isEqualTo(Action.USE_STORED);
            assertThat(plan.stored()).contains(STORED);
            assertThat(MtaStsRefresh.plan(stored(STORED), txt, T0.plus(Duration.ofDays(7))).action())
                .as("expired, " + txt).isEqualTo(Action.NO_POLICY);
        }
    }

    @Test
    void aRecordWithNothingStoredIsFetched() {
        MtaStsRefresh.Plan plan = MtaStsRefresh.plan(Optional.empty(), record("abc"), T0);
        assertThat(plan.action()).isEqualTo(Action.FETCH);
        assertThat(plan.fetchId()).isEqualTo("abc");
    }

    @Test
    void theSameIdWithAFreshStoredPolicyIsNotFetched() {
        MtaStsRefresh.Plan plan = MtaStsRefresh.plan(stored(STORED), record("id1"), T0.plus(Duration.ofHours(23)));
        assertThat(plan.action()).isEqualTo(Action.USE_STORED);
        assertThat(plan.stored()).contains(STORED);
    }

    @Test
    void anotherIdIsFetched() {
        MtaStsRefresh.Plan plan = MtaStsRefresh.plan(stored(STORED), record("id2"), T0.plusSeconds(60));
        assertThat(plan.action()).isEqualTo(Action.FETCH);
        assertThat(plan.fetchId()).isEqualTo("id2");
    }

    @Test
    void anExpiredStoredPolicyIsFetchedAgainUnderTheSameId() {
        assertThat(MtaStsRefresh.plan(stored(STORED), record("id1"), T0.plus(Duration.ofDays(7))).action())
            .isEqualTo(Action.FETCH);
    }

    @Test
    void aStoredPolicyIsRefreshedAfterADayOrHalfItsMaxAgeWhicheverIsShorter() {
        assertThat(MtaStsRefresh.plan(stored(STORED), record("id1"), T0.plus(Duration.ofDays(1))).action())
            .isEqualTo(Action.FETCH);
        StoredPolicy hour = new StoredPolicy("id1", policy(Mode.ENFORCE, Duration.ofHours(1)), T0);
        assertThat(MtaStsRefresh.plan(stored(hour), record("id1"), T0.plusSeconds(1799)).action())
            .isEqualTo(Action.USE_STORED);
        assertThat(MtaStsRefresh.plan(stored(hour), record("id1"), T0.plusSeconds(1800)).action())
            .isEqualTo(Action.FETCH);
    }

    @Test
    void theSameIdIsNotFetchedAgainWithinFiveMinutesOfAFailure() {
        RefreshFailure failed = new RefreshFailure("id2", T0, "TIMEOUT: no reply");
        assertThat(MtaStsRefresh.plan(stored(Optional.of(STORED), failed), record("id2"), T0.plusSeconds(299)))
            .satisfies(plan -> {
                assertThat(plan.action()).isEqualTo(Action.USE_STORED);
                assertThat(plan.stored()).contains(STORED);
            });
        assertThat(MtaStsRefresh.plan(stored(Optional.empty(), failed), record("id2"), T0.plusSeconds(299)).action())
            .isEqualTo(Action.NO_POLICY);
        assertThat(MtaStsRefresh.plan(stored(Optional.empty(), failed), record("id2"), T0.plusSeconds(300)).action())
            .as("five minutes later").isEqualTo(Action.FETCH);
        assertThat(MtaStsRefresh.plan(stored(Optional.empty(), failed), record("id3"), T0.plusSeconds(1)).action())
            .as("a new id at once").isEqualTo(Action.FETCH);
    }

    @Test
    void aFetchedPolicyIsStoredForItsMaxAgeAndADayAndIsInForce() {
        MtaStsRefresh.Result result = MtaStsRefresh.afterFetch(stored(STORED), "id2",
            MtaStsFetcher.Fetch.of(policy(Mode.TESTING, Duration.ofDays(2))), T0.plusSeconds(60));

        StoredPolicy fetched = new StoredPolicy("id2", policy(Mode.TESTING, Duration.ofDays(2)), T0.plusSeconds(60));
        assertThat(result.save()).contains(fetched);
        assertThat(result.inForce()).contains(fetched);
        assertThat(result.failure()).isEmpty();
        assertThat(result.keepFor()).isEqualTo(Duration.ofDays(3));
        assertThat(result.stored()).isEqualTo(new MtaStsStore.Entry(Optional.of(fetched), Optional.empty()));
    }

    @Test
    void aWithdrawalIsAPolicyToo() {
        MtaStsRefresh.Result result = MtaStsRefresh.afterFetch(stored(STORED), "id2",
            MtaStsFetcher.Fetch.of(policy(Mode.NONE, Duration.ofDays(1))), T0);
        assertThat(result.save().orElseThrow().policy().mode()).isEqualTo(Mode.NONE);
        assertThat(result.inForce().orElseThrow().policy().mode()).isEqualTo(Mode.NONE);
    }

    @Test
    void aFailedFetchKeepsTheUnexpiredStoredPolicyAndIsRecorded() {
        Instant now = T0.plus(Duration.ofDays(1));
        MtaStsRefresh.Result result = MtaStsRefresh.afterFetch(stored(STORED), "id2",
            MtaStsFetcher.Fetch.failed(FailureKind.TIMEOUT, "no reply in time"), now);

        assertThat(result.inForce()).contains(STORED);
        assertThat(result.save()).isEmpty();
        RefreshFailure failure = result.failure().orElseThrow();
        assertThat(failure.id()).isEqualTo("id2");
        assertThat(failure.at()).isEqualTo(now);
        assertThat(failure.error()).isEqualTo("TIMEOUT: no reply in time");
        assertThat(result.keepFor()).as("as long as the policy is kept").isEqualTo(Duration.ofDays(7));
        assertThat(result.stored()).isEqualTo(new MtaStsStore.Entry(Optional.of(STORED), Optional.of(failure)));
    }

    @Test
    void aFailedFetchWithNothingUnexpiredStoredMeansNoPolicy() {
        MtaStsRefresh.Result nothing = MtaStsRefresh.afterFetch(Optional.empty(), "id1",
            MtaStsFetcher.Fetch.failed(FailureKind.HTTP_STATUS, "HTTP 404"), T0);
        assertThat(nothing.inForce()).isEmpty();
        assertThat(nothing.failure()).isPresent();
        assertThat(nothing.keepFor()).isEqualTo(MtaStsRefresh.KEEP_FAILURE);

        Instant later = T0.plus(Duration.ofDays(8));
        MtaStsRefresh.Result expired = MtaStsRefresh.afterFetch(stored(STORED), "id1",
            MtaStsFetcher.Fetch.failed(FailureKind.TLS_FAILED, "bad certificate"), later);
        assertThat(expired.inForce()).isEmpty();
        assertThat(expired.stored().policy()).as("left as it is, to disappear by itself").contains(STORED);
        assertThat(expired.keepFor()).isEqualTo(MtaStsRefresh.KEEP_FAILURE);
    }
}
