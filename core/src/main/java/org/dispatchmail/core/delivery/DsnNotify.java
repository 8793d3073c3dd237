package org.dispatchmail.core.delivery;

/** RFC 3461 NOTIFY keywords of one recipient. */
public enum DsnNotify {
    SUCCESS, FAILURE, DELAY, NEVER
}
