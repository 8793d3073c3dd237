package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class ShardPlanTest {
    private static final int SHARDS = 16;

    private static Map<Integer, String> owned(String node, int from, int to) {
        Map<Integer, String> owners = new HashMap<>();
        for (int shard = from; shard < to; shard++) {
            owners.put(shard, node);
        }
        return owners;
    }

    private static Set<Integer> set(List<Integer> shards) {
        return new TreeSet<>(shards);
    }

    private static Set<Integer> range(int from, int to) {
        return new TreeSet<>(owned("x", from, to).keySet());
    }

    @Test
    void aLoneNodeTakesEveryShard() {
        ShardPlan plan = ShardPlan.of(SHARDS, "a", Set.of("a"), Map.of());

        assertThat(set(plan.acquire)).isEqualTo(range(0, 16));
        assertThat(plan.renew).isEmpty();
        assertThat(plan.release).isEmpty();
    }

    @Test
    void aNodeNotYetSeenAliveCountsItself() {
        ShardPlan plan = ShardPlan.of(SHARDS, "b", Set.of("a"), owned("a", 0, 16));

        assertThat(plan.acquire).isEmpty();
        ShardPlan owner = ShardPlan.of(SHARDS, "a", Set.of("a", "b"), owned("a", 0, 16));
        assertThat(owner.renew).hasSize(8);
        assertThat(owner.release).hasSize(8);
    }

    @Test
    void twoNodesShareHalfEach() {
        ShardPlan plan = ShardPlan.of(SHARDS, "b", Set.of("a", "b"), owned("a", 0, 8));

        assertThat(set(plan.acquire)).isEqualTo(range(8, 16));
        assertThat(plan.release).isEmpty();
    }

    @Test
    void threeNodesTakeAtMostTheRoundedUpShare() {
        Map<Integer, String> owners = owned("a", 0, 6);
        ShardPlan b = ShardPlan.of(SHARDS, "b", Set.of("a", "b", "c"), owners);
        assertThat(b.acquire).hasSize(6).doesNotContainAnyElementsOf(range(0, 6));
        b.acquire.forEach(shard -> owners.put(shard, "b"));

        ShardPlan c = ShardPlan.of(SHARDS, "c", Set.of("a", "b", "c"), owners);
        assertThat(set(c.acquire)).as("the 4 left").hasSize(4)
            .doesNotContainAnyElementsOf(owners.keySet());
    }

    @Test
    void aNodeAboveItsShareReleasesTheRestAndKeepsItsShare() {
        ShardPlan plan = ShardPlan.of(SHARDS, "a", Set.of("a", "b", "c"), owned("a", 0, 16));

        assertThat(plan.renew).hasSize(6);
        assertThat(plan.release).hasSize(10);
        assertThat(plan.acquire).isEmpty();
        Set<Integer> all = new TreeSet<>(plan.renew);
        all.addAll(plan.release);
        assertThat(all).isEqualTo(range(0, 16));
        assertThat(plan.kept()).isEqualTo(set(plan.renew));
    }

    @Test
    void onlyFreeShardsAreAcquired() {
        Map<Integer, String> owners = owned("a", 0, 5);
        owners.putAll(owned("dead", 5, 10));
        ShardPlan plan = ShardPlan.of(SHARDS, "b", Set.of("a", "b"), owners);

        assertThat(set(plan.acquire)).as("a lease of a node not alive still counts until it runs out")
            .isEqualTo(range(10, 16));
    }

    @Test
    void aNodeBelowItsShareRenewsAllItHoldsAndTopsUp() {
        Map<Integer, String> owners = owned("b", 0, 3);
        owners.putAll(owned("a", 3, 8));
        ShardPlan plan = ShardPlan.of(SHARDS, "b", Set.of("a", "b"), owners);

        assertThat(set(plan.renew)).isEqualTo(range(0, 3));
        assertThat(plan.acquire).hasSize(5).doesNotContainAnyElementsOf(range(0, 8));
        assertThat(plan.release).isEmpty();
    }

    @Test
    void nodesThatPlanInTurnsSettleOnAFairSplit() {
        for (int nodes = 1; nodes <= 3; nodes++) {
            Set<String> live = new TreeSet<>();
            for (int i = 0; i < nodes; i++) {
                live.add("node-" + i);
            }
            Map<Integer, String> owners = new HashMap<>();
            for (int round = 0; round < 4; round++) {
                for (String node : live) {
                    ShardPlan plan = ShardPlan.of(SHARDS, node, live, owners);
                    plan.release.forEach(owners::remove);
                    plan.acquire.forEach(shard -> assertThat(owners.putIfAbsent(shard, node)).isNull());
                }
            }
            int share = (SHARDS + nodes - 1) / nodes;
            assertThat(owners.keySet()).as(nodes + " nodes cover every shard").isEqualTo(range(0, 16));
            for (String node : live) {
                long held = owners.values().stream().filter(node::equals).count();
                assertThat(held).as(node + " of " + nodes).isBetween((long) SHARDS - (long) share * (nodes - 1),
                    (long) share);
            }
        }
    }
}
