package org.dispatchmail.core.cassandra;

/** Cassandra could not be reached or did not acknowledge a write: the caller must keep the mail. */
public final class CassandraUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CassandraUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
