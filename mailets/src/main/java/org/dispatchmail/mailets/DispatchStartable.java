package org.dispatchmail.mailets;

import javax.inject.Inject;

import org.apache.james.utils.UserDefinedStartable;
import org.dispatchmail.core.DispatchEngine;

/**
 * Starts delivery when James starts (extensions.properties: guice.extension.startable), so queued work resumes
 * after a restart even when no mailet uses Dispatch yet, and a bad configuration stops James. Being made starts the
 * engine (it is injected, see {@link DispatchModule}); the engine stops with the JVM.
 */
public class DispatchStartable implements UserDefinedStartable {
    private final IntakeService intake;

    @Inject
    public DispatchStartable(DispatchEngine engine, IntakeService intake) {
        this.intake = intake;
    }

    @Override
    public void start() {
        // takes over the journaled mail of nodes that died, and re-queues mail kept while Cassandra was away
        intake.start();
    }
}
