package org.dispatchmail.dist.cassandra;

/**
 * Cassandra could not be started. The message is meant for a human: what went wrong, where the log is and, when the
 * process got as far as logging, its last lines (stack traces collapsed).
 */
public final class CassandraStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public CassandraStartException(String message) {
        super(message);
    }

    public CassandraStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
