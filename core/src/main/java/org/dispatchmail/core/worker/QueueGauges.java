package org.dispatchmail.core.worker;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

import org.dispatchmail.core.queue.QueueSummary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue's depth by state and the age of its oldest entry, for the shards this node works,
 * refreshed by a periodic scan (their cost grows with the queue, so not per scrape).
 */
public final class QueueGauges {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueGauges.class);

    private final Function<Set<Integer>, QueueSummary> scan;
    private final Supplier<Set<Integer>> shards;
    private volatile Map<String, Integer> byState = Collections.emptyMap();
    private volatile Duration oldest = Duration.ZERO;

    public QueueGauges(Function<Set<Integer>, QueueSummary> scan, Supplier<Set<Integer>> shards) {
        this.scan = scan;
        this.shards = shards;
    }

    public void refresh() {
        try {
            QueueSummary summary = scan.apply(shards.get());
            byState = summary.totalsByState();
            oldest = summary.oldest();
        } catch (RuntimeException e) {
            LOGGER.debug("Queue gauges not refreshed: {}", e.getMessage());
        }
    }

    /** Unfinished recipients per state name (pending, in_flight, deferred, held). */
    public Map<String, Integer> byState() {
        return byState;
    }

    public Duration oldest() {
        return oldest;
    }
}
