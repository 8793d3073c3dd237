package org.dispatchmail.core.worker;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one node does with the shard leases in one round: keep its own up to a fair share
 * (ceil(shards / live nodes)), take free shards up to that share, give back what is over it, so a
 * joining node gets work and a dead node's shards are spread over the others.
 */
final class ShardPlan {
    final List<Integer> renew = new ArrayList<>();
    final List<Integer> acquire = new ArrayList<>();
    final List<Integer> release = new ArrayList<>();

    static ShardPlan of(int shards, String me, Set<String> liveNodes, Map<Integer, String> owners) {
        ShardPlan plan = new ShardPlan();
        int nodes = Math.max(1, liveNodes.size() + (liveNodes.contains(me) ? 0 : 1));
        int share = (shards + nodes - 1) / nodes;
        List<Integer> mine = new ArrayList<>();
        List<Integer> free = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            String owner = owners.get(shard);
            if (me.equals(owner)) {
                mine.add(shard);
            } else if (owner == null) {
                free.add(shard);
            }
        }
        plan.renew.addAll(mine.subList(0, Math.min(share, mine.size())));
        plan.release.addAll(mine.subList(Math.min(share, mine.size()), mine.size()));
        // Start the search at a place that differs per node, so nodes starting together rarely race for one shard.
        Collections.rotate(free, Math.floorMod(me.hashCode(), Math.max(1, free.size())));
        int wanted = share - plan.renew.size();
        plan.acquire.addAll(free.subList(0, Math.max(0, Math.min(wanted, free.size()))));
        return plan;
    }

    Set<Integer> kept() {
        return new TreeSet<>(renew);
    }
}
