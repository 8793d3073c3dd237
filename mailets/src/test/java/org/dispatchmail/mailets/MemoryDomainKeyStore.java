package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.dispatchmail.core.dkim.DomainKey;
import org.dispatchmail.core.dkim.DomainKeyStore;

/** Keys in memory, as the Cassandra store keeps them. */
final class MemoryDomainKeyStore implements DomainKeyStore {
    private final Map<String, DomainKey> keys = new HashMap<>();

    @Override
    public synchronized boolean insert(DomainKey key) {
        return keys.putIfAbsent(key.dnsName(), key) == null;
    }

    @Override
    public synchronized void update(DomainKey key) {
        keys.put(key.dnsName(), key);
    }

    @Override
    public synchronized void delete(String domain, String selector) {
        keys.values().removeIf(key -> key.domain().equals(domain) && key.selector().equals(selector));
    }

    @Override
    public synchronized List<DomainKey> keys(String domain) {
        List<DomainKey> found = new ArrayList<>();
        keys.values().stream().filter(key -> key.domain().equals(domain)).forEach(found::add);
        return found;
    }

    @Override
    public synchronized List<DomainKey> allKeys() {
        return new ArrayList<>(keys.values());
    }
}
