package org.dispatchmail.core.submission;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** Users in memory, for tests of callers and single-node experiments; lost on restart. */
public final class InMemorySubmissionUserStore implements SubmissionUserStore {
    private final ConcurrentMap<String, SubmissionUser> users = new ConcurrentSkipListMap<>();

    @Override
    public boolean create(SubmissionUser user) {
        return users.putIfAbsent(user.login(), user) == null;
    }

    @Override
    public void update(SubmissionUser user) {
        if (users.replace(user.login(), user) == null) {
            throw new IllegalArgumentException("no submission user '" + user.login() + "'");
        }
    }

    @Override
    public boolean delete(String login) {
        return users.remove(login) != null;
    }

    @Override
    public Optional<SubmissionUser> find(String login) {
        return Optional.ofNullable(users.get(login));
    }

    @Override
    public List<SubmissionUser> list() {
        return new ArrayList<>(users.values());
    }
}
