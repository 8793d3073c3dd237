package org.dispatchmail.mailets;

import javax.inject.Inject;

import org.apache.james.utils.UserDefinedStartable;

/**
 * Starts delivery when James starts (extensions.properties: guice.extension.startable), so queued
 * work resumes after a restart even when no mailet uses Dispatch yet, and a bad configuration stops James.
 */
public class DispatchStartable implements UserDefinedStartable {
    private final DispatchRuntime runtime;
    private final IntakeService intake;

    @Inject
    public DispatchStartable(DispatchRuntime runtime, IntakeService intake) {
        this.runtime = runtime;
        this.intake = intake;
    }

    @Override
    public void start() {
        runtime.engine();
        // takes over the journaled mail of nodes that died, and re-queues mail kept while Cassandra was away
        intake.start();
    }
}
