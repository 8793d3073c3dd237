package org.dispatchmail.core.report;

/**
 * The mail attribute that marks a report Dispatch itself made (a DSN), so that the processors can tell it from mail
 * that came in from outside: a report is signed as Dispatch's own mail, never ARC-sealed as a forward.
 */
public final class ReportAttribute {
    /** Set, with any value, on every report Dispatch hands to the mailet container. */
    public static final String NAME = "dispatch.report";

    private ReportAttribute() {
    }
}
