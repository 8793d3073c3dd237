package org.dispatchmail.mailets;

import java.time.Duration;

import org.dispatchmail.core.cassandra.CassandraRequestCount;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.worker.QueueGauges;
import org.dispatchmail.core.worker.QueueMetrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;

/**
 * Dispatch's counters, latency histogram and queue gauges in James's metric registry, which webadmin
 * serves at /metrics for Prometheus. Gauges cover the shards this node works; summed over the nodes
 * they give the whole queue.
 */
final class JamesQueueMetrics implements QueueMetrics {
    private final MetricRegistry registry;

    JamesQueueMetrics(MetricRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void attempt(String outcome, String replyClass) {
        registry.counter("dispatch_attempts_" + outcome + "_" + replyClass).inc();
    }

    @Override
    public void tlsPolicy(String policy, String outcome) {
        registry.counter("dispatch_tls_policy_" + policy.replace('-', '_') + "_" + outcome).inc();
    }

    @Override
    public void greylisted() {
        registry.counter("dispatch_greylisting_detected").inc();
    }

    @Override
    public void delivered(Duration latency) {
        registry.histogram("dispatch_delivery_latency_seconds").update(latency.getSeconds());
    }

    @Override
    public void failed(String state) {
        registry.counter("dispatch_recipients_" + state).inc();
    }

    @Override
    public void reportSent(String action) {
        registry.counter("dispatch_reports_" + action).inc();
    }

    /** Registers the queue gauges once; they read the last scan of this node's shards. */
    void registerGauges(QueueGauges gauges) {
        for (RecipientState state : RecipientState.values()) {
            if (!state.isFinal()) {
                String name = "dispatch_queue_recipients_" + state.name().toLowerCase();
                registry.gauge(name, () -> (Gauge<Integer>) () -> gauges.byState()
                    .getOrDefault(state.name().toLowerCase(), 0));
            }
        }
        registry.gauge("dispatch_queue_oldest_age_seconds", () -> (Gauge<Long>) () -> gauges.oldest().getSeconds());
    }

    /** Registers the CQL request counts once: every request the node sent, and its lightweight transactions. */
    void registerRequests(CassandraRequestCount requests) {
        registry.gauge("dispatch_cassandra_requests", () -> (Gauge<Long>) requests::requests);
        registry.gauge("dispatch_cassandra_requests_lwt", () -> (Gauge<Long>) requests::lightweightTransactions);
    }
}
