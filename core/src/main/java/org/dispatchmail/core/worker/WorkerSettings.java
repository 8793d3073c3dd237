package org.dispatchmail.core.worker;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

import org.dispatchmail.core.config.ConfigReader;

/** How the delivery workers of one node take and schedule work: the queue.* and retry.* parameters. */
public final class WorkerSettings {
    public static final List<Duration> DEFAULT_SCHEDULE = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4));

    private final String nodeId;
    private final int shards;
    private final Duration bucketSize;
    private final Duration pollInterval;
    private final Duration claimDuration;
    private final int deliveryThreads;
    private final int batchSize;
    private final List<Duration> retrySchedule;
    private final Duration maxLifetime;

    private WorkerSettings(ConfigReader config) {
        this.nodeId = config.string("node.id", defaultNodeId());
        this.shards = config.integer("queue.shards", 16, 1, 4096);
        this.bucketSize = config.duration("queue.bucketSize", Duration.ofMinutes(1));
        if (bucketSize.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("queue.bucketSize", "must be at least 1s");
        }
        this.pollInterval = config.duration("queue.pollInterval", Duration.ofSeconds(1));
        if (pollInterval.isZero()) {
            throw config.error("queue.pollInterval", "must be more than 0");
        }
        this.claimDuration = config.duration("queue.claimDuration", Duration.ofMinutes(15));
        if (claimDuration.compareTo(Duration.ofMinutes(1)) < 0) {
            throw config.error("queue.claimDuration", "must be at least 1m: a slow SMTP transaction must not lose its claim");
        }
        this.deliveryThreads = config.integer("delivery.threads", 16, 1, 1024);
        this.batchSize = config.integer("queue.batchSize", 500, 1, 100_000);
        this.retrySchedule = config.durations("retry.schedule", DEFAULT_SCHEDULE);
        if (retrySchedule.isEmpty() || retrySchedule.stream().anyMatch(Duration::isZero)) {
            throw config.error("retry.schedule", "must list at least one delay, none of them 0");
        }
        this.maxLifetime = config.duration("retry.maxLifetime", Duration.ofDays(5));
    }

    public static WorkerSettings from(ConfigReader config) {
        return new WorkerSettings(config);
    }

    private static String defaultNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        // host@pid: unique per running James process, so a restarted node never mistakes old claims for its own
        String runtime = ManagementFactory.getRuntimeMXBean().getName();
        String pid = runtime.contains("@") ? runtime.substring(0, runtime.indexOf('@')) : runtime;
        return host + "-" + pid + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    public String nodeId() {
        return nodeId;
    }

    public int shards() {
        return shards;
    }

    public Duration bucketSize() {
        return bucketSize;
    }

    public Duration pollInterval() {
        return pollInterval;
    }

    public Duration claimDuration() {
        return claimDuration;
    }

    public int deliveryThreads() {
        return deliveryThreads;
    }

    public int batchSize() {
        return batchSize;
    }

    public List<Duration> retrySchedule() {
        return retrySchedule;
    }

    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** The delay before attempt number {@code attemptsSoFar + 1}; the last delay repeats. */
    public Duration delayAfter(int attemptsSoFar) {
        int index = Math.max(0, Math.min(attemptsSoFar - 1, retrySchedule.size() - 1));
        return retrySchedule.get(index);
    }
}
