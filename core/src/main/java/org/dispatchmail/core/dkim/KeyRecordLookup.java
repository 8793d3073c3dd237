package org.dispatchmail.core.dkim;

import java.util.List;
import java.util.Optional;

/** Fetches the TXT records that publish verification keys (selector._domainkey.domain). */
@FunctionalInterface
public interface KeyRecordLookup {

    /**
     * The name's TXT records, each record's strings joined: an empty list when the name has none (NXDOMAIN or no TXT),
     * an empty Optional when DNS gave no answer (timeout, SERVFAIL), which makes the result a temporary error.
     */
    Optional<List<String>> records(String name);
}
