package org.dispatchmail.core.dkim;

import java.util.List;

/** Reads the TXT records of a name from DNS: how a node sees whether a key is published. */
@FunctionalInterface
public interface TxtLookup {
    /** Each record's strings joined; empty when the name has none or DNS did not answer. */
    List<String> txt(String name);
}
