package org.dispatchmail.core.worker;

import java.time.Duration;

/** What the queue counts; James's metrics implement it (Prometheus through webadmin). */
public interface QueueMetrics {
    QueueMetrics NONE = new QueueMetrics() {
    };

    /** One attempt for one recipient: outcome delivered/temporary/permanent, reply class 2xx/4xx/5xx/none. */
    default void attempt(String outcome, String replyClass) {
    }

    /**
     * The same attempt counted by the TLS policy it was made under ({@code mta-sts}, {@code mta-sts-testing},
     * {@code opportunistic}, {@code required}...) and its outcome; attempts that ended before a policy was decided
     * (a failed MX lookup) are not counted here.
     */
    default void tlsPolicy(String policy, String outcome) {
    }

    default void greylisted() {
    }

    /** Time from queueing to delivery of one recipient. */
    default void delivered(Duration latency) {
    }

    /** A recipient reached a final failure: bounced or expired. */
    default void failed(String state) {
    }

    /** A DSN was sent: failed, delayed, or one the admin asked for. */
    default void reportSent(String action) {
    }
}
