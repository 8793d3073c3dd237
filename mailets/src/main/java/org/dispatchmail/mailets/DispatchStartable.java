package org.dispatchmail.mailets;

import javax.inject.Inject;

import org.apache.james.utils.UserDefinedStartable;

/**
 * Starts delivery when James starts (extensions.properties: guice.extension.startable), so queued
 * work resumes after a restart even when no mailet uses Dispatch yet, and a bad configuration stops James.
 */
public class DispatchStartable implements UserDefinedStartable {
    private final DispatchRuntime runtime;

    @Inject
    public DispatchStartable(DispatchRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void start() {
        runtime.engine();
    }
}
