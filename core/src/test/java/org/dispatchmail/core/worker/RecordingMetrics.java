package org.dispatchmail.core.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Keeps each QueueMetrics call as a line such as "attempt temporary 4xx" or "failed bounced". */
public final class RecordingMetrics implements QueueMetrics {
    private final List<String> calls = new ArrayList<>();
    private final List<Duration> latencies = new ArrayList<>();

    @Override
    public synchronized void attempt(String outcome, String replyClass) {
        calls.add("attempt " + outcome + " " + replyClass);
    }

    @Override
    public synchronized void tlsPolicy(String policy, String outcome) {
        calls.add("tls-policy " + policy + " " + outcome);
    }

    @Override
    public synchronized void greylisted() {
        calls.add("greylisted");
    }

    @Override
    public synchronized void delivered(Duration latency) {
        calls.add("delivered");
        latencies.add(latency);
    }

    @Override
    public synchronized void failed(String state) {
        calls.add("failed " + state);
    }

    @Override
    public synchronized void reportSent(String action) {
        calls.add("report " + action);
    }

    public synchronized List<String> calls() {
        return new ArrayList<>(calls);
    }

    public synchronized List<Duration> latencies() {
        return new ArrayList<>(latencies);
    }

    public synchronized void clear() {
        calls.clear();
        latencies.clear();
    }
}
