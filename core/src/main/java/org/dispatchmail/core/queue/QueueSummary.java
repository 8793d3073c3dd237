package org.dispatchmail.core.queue;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The queue at a glance, like Postfix's qshape: unfinished recipients per destination domain, by state
 * and by age (time since queued) in doubling buckets.
 */
public final class QueueSummary {
    /** Upper bounds of the age buckets, in minutes; the last bucket is open. */
    public static final List<Integer> AGE_BUCKETS_MINUTES = List.of(5, 10, 20, 40, 80, 160, 320, 640, 1280);

    private final Map<String, Map<String, Integer>> byState = new TreeMap<>();
    private final Map<String, int[]> byAge = new TreeMap<>();
    private Duration oldest = Duration.ZERO;
    private int total;

    /** Counts one unfinished recipient of {@code domain}, in {@code state}, queued {@code age} ago. */
    public void add(String domain, String state, Duration age) {
        byState.computeIfAbsent(domain, d -> new TreeMap<>()).merge(state, 1, Integer::sum);
        int[] ages = byAge.computeIfAbsent(domain, d -> new int[AGE_BUCKETS_MINUTES.size() + 1]);
        ages[bucket(age)]++;
        if (age.compareTo(oldest) > 0) {
            oldest = age;
        }
        total++;
    }

    private static int bucket(Duration age) {
        long minutes = age.toMinutes();
        for (int i = 0; i < AGE_BUCKETS_MINUTES.size(); i++) {
            if (minutes < AGE_BUCKETS_MINUTES.get(i)) {
                return i;
            }
        }
        return AGE_BUCKETS_MINUTES.size();
    }

    /** domain → state → recipients. */
    public Map<String, Map<String, Integer>> byState() {
        return Collections.unmodifiableMap(byState);
    }

    /** domain → recipients per age bucket (see AGE_BUCKETS_MINUTES, then one for older). */
    public Map<String, int[]> byAge() {
        return Collections.unmodifiableMap(byAge);
    }

    /** Recipients per state over every domain. */
    public Map<String, Integer> totalsByState() {
        Map<String, Integer> totals = new TreeMap<>();
        byState.values().forEach(states -> states.forEach((state, n) -> totals.merge(state, n, Integer::sum)));
        return totals;
    }

    public Duration oldest() {
        return oldest;
    }

    public int total() {
        return total;
    }
}
