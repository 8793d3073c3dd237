package org.dispatchmail.core;

import java.time.Clock;
import java.util.UUID;

import org.dispatchmail.core.cassandra.CassandraConnector;
import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.delivery.MxDeliverer;
import org.dispatchmail.core.delivery.SmtpClient;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.worker.DeliveryWorker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.datastax.oss.driver.api.core.CqlSession;

/** One node's Dispatch: the Cassandra session, the queue, and the delivery worker. */
public final class DispatchEngine implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DispatchEngine.class);

    private final CqlSession session;
    private final QueueStore store;
    private final DeliveryWorker worker;
    private final Clock clock;

    private DispatchEngine(CqlSession session, QueueStore store, DeliveryWorker worker, Clock clock) {
        this.session = session;
        this.store = store;
        this.worker = worker;
        this.clock = clock;
    }

    /** Connects (bounded wait), creates or migrates the schema, and starts delivering. */
    public static DispatchEngine start(DispatchSettings settings, Clock clock) {
        CqlSession session = CassandraConnector.connect(settings.cassandra());
        try {
            QueueSchema.apply(session, settings.cassandra().keyspace(), settings.cassandra().replicationCql());
            QueueStore store = new CassandraQueueStore(session, settings.cassandra().keyspace(),
                settings.worker().shards(), settings.worker().bucketSize());
            MxDeliverer deliverer = new MxDeliverer(new MxResolver(settings.dnsServers(), settings.dnsTimeout()),
                new SmtpClient(settings.delivery()), settings.delivery());
            DeliveryWorker worker = new DeliveryWorker(store, deliverer::deliver, settings.worker(), clock);
            worker.start();
            return new DispatchEngine(session, store, worker, clock);
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Returns once the message is durable at the configured consistency; throws if it is not. */
    public UUID enqueue(NewMessage message) {
        return store.enqueue(message, clock.instant());
    }

    public QueueStore store() {
        return store;
    }

    @Override
    public void close() {
        worker.close();
        session.close();
        LOGGER.info("Dispatch stopped");
    }
}
