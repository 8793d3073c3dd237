package org.dispatchmail.core.worker;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;

import org.dispatchmail.core.config.ConfigReader;

/** How the delivery workers of one node take work: the queue.* parameters. */
public final class WorkerSettings {
    private final String nodeId;
    private final int shards;
    private final Duration bucketSize;
    private final Duration pollInterval;
    private final Duration claimDuration;
    private final Duration leaseTime;
    private final Duration retention;
    private final Duration gaugeInterval;
    private final int deliveryThreads;
    private final int threadsPerDestination;
    private final int batchSize;

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
        if (claimDuration.compareTo(Duration.ofSeconds(5)) < 0) {
            throw config.error("queue.claimDuration", "must be at least 5s");
        }
        this.leaseTime = config.duration("queue.leaseTime", Duration.ofSeconds(30));
        if (leaseTime.compareTo(Duration.ofSeconds(3)) < 0) {
            throw config.error("queue.leaseTime", "must be at least 3s");
        }
        this.retention = config.duration("queue.retention", Duration.ofDays(7));
        this.gaugeInterval = config.duration("metrics.queueScanInterval", Duration.ofMinutes(1));
        if (gaugeInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            throw config.error("metrics.queueScanInterval", "must be at least 1s");
        }
        this.deliveryThreads = config.integer("delivery.threads", 16, 1, 1024);
        // default: a quarter of the threads (at least one) stays free of any one destination
        this.threadsPerDestination = config.integer("delivery.maxThreadsPerDestination",
            Math.max(1, deliveryThreads - Math.max(1, deliveryThreads / 4)), 1, deliveryThreads);
        this.batchSize = config.integer("queue.batchSize", 500, 1, 100_000);
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

    /** How long a shard lease and a node's heartbeat last unless renewed (renewed every third of it). */
    public Duration leaseTime() {
        return leaseTime;
    }

    /** How long a finished message's state and attempt history stay readable (its content goes at once). */
    public Duration retention() {
        return retention;
    }

    /** How often the queue gauges (depth by state, oldest entry) are computed again. */
    public Duration gaugeInterval() {
        return gaugeInterval;
    }

    public int deliveryThreads() {
        return deliveryThreads;
    }

    /** Delivery threads one destination (recipient domain or smart host) may hold at once. */
    public int threadsPerDestination() {
        return threadsPerDestination;
    }

    public int batchSize() {
        return batchSize;
    }
}
