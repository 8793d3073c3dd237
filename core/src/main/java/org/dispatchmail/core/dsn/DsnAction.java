package org.dispatchmail.core.dsn;

import java.util.Locale;

/** RFC 3464 section 2.3.3 Action values. */
public enum DsnAction {
    FAILED, DELAYED, DELIVERED, RELAYED, EXPANDED;

    /** The value as written in the Action field. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Delivered, relayed to a place that sends no further reports, or expanded: a success report. */
    public boolean isSuccess() {
        return this == DELIVERED || this == RELAYED || this == EXPANDED;
    }
}
