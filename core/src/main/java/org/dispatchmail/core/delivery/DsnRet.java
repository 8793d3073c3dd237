package org.dispatchmail.core.delivery;

/** RFC 3461 RET: how much of the original message a failure report carries back. */
public enum DsnRet {
    FULL, HDRS
}
