package org.dispatchmail.core.dkim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** DKIM keys in a map, for tests of what uses them. */
final class MemoryKeyStore implements DomainKeyStore {
    private final Map<String, DomainKey> keys = new HashMap<>();

    @Override
    public boolean insert(DomainKey key) {
        return keys.putIfAbsent(key.domain() + "/" + key.selector(), key) == null;
    }

    @Override
    public void update(DomainKey key) {
        keys.put(key.domain() + "/" + key.selector(), key);
    }

    @Override
    public void delete(String domain, String selector) {
        keys.remove(domain + "/" + selector);
    }

    @Override
    public List<DomainKey> keys(String domain) {
        return keys.values().stream().filter(k -> k.domain().equals(domain)).collect(Collectors.toList());
    }

    @Override
    public List<DomainKey> allKeys() {
        return new ArrayList<>(keys.values());
    }
}
