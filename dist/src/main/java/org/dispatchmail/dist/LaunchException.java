package org.dispatchmail.dist;

/** A start-up problem the user can fix; its message is printed as is, without a stack trace. */
public final class LaunchException extends Exception {
    private static final long serialVersionUID = 1L;

    public LaunchException(String message) {
        super(message);
    }
}
