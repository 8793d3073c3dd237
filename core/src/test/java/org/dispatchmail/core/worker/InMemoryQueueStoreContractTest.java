package org.dispatchmail.core.worker;

import java.time.Duration;

import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.QueueStoreContract;

/** The in-memory double keeps the queue store contract, as the Cassandra store does. */
class InMemoryQueueStoreContractTest extends QueueStoreContract {
    private final InMemoryQueueStore store = new InMemoryQueueStore(4, Duration.ofMinutes(1));

    @Override
    protected QueueStore store() {
        return store;
    }
}
