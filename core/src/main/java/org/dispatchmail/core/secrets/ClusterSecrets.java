package org.dispatchmail.core.secrets;

import java.util.List;

/**
 * Random secrets that every node of a cluster must share (the SRS key, the seed of SCRAM decoy salts...), kept in
 * Cassandra so that every node and every restart gives the same answer. A secret has numbered versions: the newest
 * is used to make new values, the older ones are kept so values made before a rotation still check.
 */
public interface ClusterSecrets {
    /** The newest version of the named secret, created (once, whichever node asks first) when there is none. */
    Secret current(String name);

    /** Every kept version of the named secret, newest first; creates the first one when there is none. */
    List<Secret> all(String name);

    /** Adds a new version that becomes current; the older ones stay until {@link #retire}. */
    Secret rotate(String name);

    /** Removes the versions older than {@code keepNewest} newest ones; returns how many were removed. */
    int retire(String name, int keepNewest);
}
