package org.dispatchmail.core.submission;

import java.util.List;
import java.util.Optional;

/** Where submission users live. Logins arrive already lower case. */
public interface SubmissionUserStore {
    /** Stores a new user; false when the login exists (nothing is changed then). */
    boolean create(SubmissionUser user);

    /** Replaces an existing user; IllegalArgumentException when the login does not exist (never re-creates it). */
    void update(SubmissionUser user);

    /** False when there was no such login. */
    boolean delete(String login);

    Optional<SubmissionUser> find(String login);

    /** Every user, by login. */
    List<SubmissionUser> list();
}
