package org.dispatchmail.core.dkim;

import java.util.List;

/** Where DKIM keys live, shared by every node. */
public interface DomainKeyStore {
    /** Stores a new key; false when the domain already has this selector. */
    boolean insert(DomainKey key);

    void update(DomainKey key);

    void delete(String domain, String selector);

    List<DomainKey> keys(String domain);

    List<DomainKey> allKeys();
}
