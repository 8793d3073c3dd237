package org.dispatchmail.core.submission;

import java.util.Optional;

/**
 * Failed AUTHs counted per client address (IPv6 per /64) and per login, shared by every node. A guess is reserved
 * BEFORE its credentials are checked ({@link #reserve}): the reservation counts at once, so parallel sessions
 * cannot each get the full number of guesses; only {@link #succeeded} withdraws it, so a reservation left alone
 * (wrong password, a node that died while checking) is a failure until the window has passed. A success never
 * forgets other failures, of the address or of the login.
 *
 * <p>Both methods throw {@link org.dispatchmail.core.cassandra.CassandraUnavailableException} when the counts cannot
 * be read or written; callers refuse the AUTH then (fail closed).
 */
public interface AuthThrottle {
    /**
     * Counts one guess for the address and, when the client named one, the login. Refused (and then not counted)
     * when either already has its maximum of failures within the window, or when parallel reservations took the
     * last ones; check no credential then.
     */
    AuthAttempt reserve(String clientAddress, Optional<String> login);

    /** The credentials were right: withdraws the attempt's reservation, and nothing else. */
    void succeeded(AuthAttempt attempt);
}
