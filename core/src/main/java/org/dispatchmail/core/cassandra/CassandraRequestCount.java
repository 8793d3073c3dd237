package org.dispatchmail.core.cassandra;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Pattern;

import com.datastax.oss.driver.api.core.config.DriverExecutionProfile;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.metadata.Node;
import com.datastax.oss.driver.api.core.session.Request;
import com.datastax.oss.driver.api.core.tracker.RequestTracker;

/**
 * Counts the CQL requests a session sends, and among them the lightweight transactions (writes with an
 * {@code IF} condition, each a Paxos round), so the cost of the queue per message can be read from the
 * node's metrics. A request counts once when it ends, whatever its retries; a batch is one request, and
 * a lightweight transaction when any of its statements is one.
 */
public final class CassandraRequestCount implements RequestTracker {
    /** A condition on a write: INSERT ... IF NOT EXISTS, UPDATE/DELETE ... IF [EXISTS | column ...]. */
    private static final Pattern CONDITION = Pattern.compile("\\sIF\\s", Pattern.CASE_INSENSITIVE);
    private static final Pattern WRITE = Pattern.compile("^\\s*(INSERT|UPDATE|DELETE)\\s", Pattern.CASE_INSENSITIVE);

    private final LongAdder requests = new LongAdder();
    private final LongAdder lightweight = new LongAdder();
    /** Whether a statement text is conditional, by text: a prepared statement is looked at once. */
    private final Map<String, Boolean> conditional = new ConcurrentHashMap<>();

    /** Requests sent so far, lightweight transactions included. */
    public long requests() {
        return requests.sum();
    }

    /** Lightweight transactions sent so far. */
    public long lightweightTransactions() {
        return lightweight.sum();
    }

    @Override
    public void onSuccess(Request request, long latencyNanos, DriverExecutionProfile profile, Node node,
                          String logPrefix) {
        count(request);
    }

    @Override
    public void onError(Request request, Throwable error, long latencyNanos, DriverExecutionProfile profile,
                        Node node, String logPrefix) {
        count(request);
    }

    /** Nothing to release: the counts outlive the session, for a last scrape. */
    @Override
    public void close() {
    }

    private void count(Request request) {
        requests.increment();
        if (isLightweight(request, conditional)) {
            lightweight.increment();
        }
    }

    /** Whether {@code request} is a lightweight transaction: a conditional write, or a batch holding one. */
    public static boolean isLightweightTransaction(Request request) {
        return isLightweight(request, new HashMap<>());
    }

    private static boolean isLightweight(Request request, Map<String, Boolean> known) {
        if (request instanceof BatchStatement) {
            for (BatchableStatement<?> statement : (BatchStatement) request) {
                if (isLightweight(statement, known)) {
                    return true;
                }
            }
            return false;
        }
        String cql = request instanceof BoundStatement ? ((BoundStatement) request).getPreparedStatement().getQuery()
            : request instanceof SimpleStatement ? ((SimpleStatement) request).getQuery() : null;
        return cql != null && known.computeIfAbsent(cql, CassandraRequestCount::conditionalWrite);
    }

    /** A write with a condition; CREATE ... IF NOT EXISTS is schema, not a lightweight transaction. */
    static boolean conditionalWrite(String cql) {
        return WRITE.matcher(cql).find() && CONDITION.matcher(cql).find();
    }
}
