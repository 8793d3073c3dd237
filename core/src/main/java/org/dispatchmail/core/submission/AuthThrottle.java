package org.dispatchmail.core.submission;

/**
 * Failed AUTH attempts per client address, shared by every node: after maxFailures within the window, the address
 * is blocked for a while. Ask {@link #blocked} before checking any credential, and refuse without checking while it
 * is true, so a blocked client learns nothing and costs no hashing.
 */
public interface AuthThrottle {
    boolean blocked(String clientAddress);

    void recordFailure(String clientAddress);

    /** Forgets the address's failures (not an active block). */
    void recordSuccess(String clientAddress);
}
