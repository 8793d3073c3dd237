package org.dispatchmail.core.secrets;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** ClusterSecrets of one process, for unit tests and for tools that run without Cassandra. */
public final class InMemoryClusterSecrets implements ClusterSecrets {
    private final Map<String, List<Secret>> secrets = new HashMap<>();
    private final Clock clock;
    private final SecureRandom random;

    public InMemoryClusterSecrets(Clock clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    @Override
    public synchronized Secret current(String name) {
        return all(name).get(0);
    }

    @Override
    public synchronized List<Secret> all(String name) {
        List<Secret> versions = secrets.computeIfAbsent(name, n -> new ArrayList<>());
        if (versions.isEmpty()) {
            versions.add(make(name, 1));
        }
        return List.copyOf(versions);
    }

    @Override
    public synchronized Secret rotate(String name) {
        Secret next = make(name, current(name).version() + 1);
        List<Secret> versions = secrets.get(name);
        versions.add(next);
        versions.sort(Comparator.comparingInt(Secret::version).reversed());
        return next;
    }

    @Override
    public synchronized int retire(String name, int keepNewest) {
        if (keepNewest < 1) {
            throw new IllegalArgumentException("keep at least the current version");
        }
        List<Secret> versions = secrets.getOrDefault(name, new ArrayList<>());
        int removed = Math.max(0, versions.size() - keepNewest);
        while (versions.size() > keepNewest) {
            versions.remove(versions.size() - 1);
        }
        return removed;
    }

    private Secret make(String name, int version) {
        byte[] key = new byte[Secret.LENGTH];
        random.nextBytes(key);
        return new Secret(name, version, key, clock.instant());
    }
}
