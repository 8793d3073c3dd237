package org.dispatchmail.mailets;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.mail.MessagingException;

import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.intake.Backoff;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.intake.IntakeJournal;
import org.dispatchmail.core.intake.IntakeRecovery;
import org.dispatchmail.core.intake.IntakeSettings;
import org.dispatchmail.smtp.MailIntake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.MetricRegistry;

/**
 * The node's side of the intake journal: journals a mail before its 250, clears the entry once the mail
 * has a durable home, re-injects the journaled mail of dead nodes into this node's spool, and hands
 * mail that Dispatch could not queue (kept in the error repository while Cassandra was away) to the
 * queue once Cassandra answers again.
 */
@Singleton
public class IntakeService implements MailIntake {
    private static final Logger LOGGER = LoggerFactory.getLogger(IntakeService.class);
    /** Set by Dispatch on a mail it could not queue because Cassandra failed: the error repository gives it back. */
    static final AttributeName QUEUE_LATER = AttributeName.of("dispatch.queueWhenCassandraAnswers");
    /** James's count of failed processing attempts, which a mail handed over again starts afresh. */
    private static final AttributeName PROCESSING_ERRORS = AttributeName.of("mail-processing-error-count");
    static final MailRepositoryUrl ERROR_REPOSITORY = MailRepositoryUrl.from("file://var/mail/error/");

    private final String nodeId;
    private final IntakeJournal journal;
    private final IntakeSettings settings;
    private final Function<IntakeRecovery.Reinjector, IntakeRecovery> recoveries;
    private final QueueHandOver queue;
    private final MailQueueFactory<?> queues;
    private final MailRepositoryStore repositories;
    private final MetricRegistry metrics;
    private final Clock clock;
    private IntakeRecovery recovery;
    private ScheduledExecutorService timer;
    private Backoff reprocessBackoff;
    private Instant nextReprocess = Instant.MIN;

    @Inject
    public IntakeService(DispatchEngine engine, QueueHandOver queue, MailQueueFactory<?> queues,
                         MailRepositoryStore repositories, MetricRegistry metrics) {
        this(engine.nodeId(), engine.intakeJournal(), engine.intakeSettings(), engine::intakeRecovery, queue, queues,
            repositories, metrics, engine.clock());
    }

    /** {@code recoveries} makes the takeover of dead nodes' mail, given how to put a mail back in the spool. */
    IntakeService(String nodeId, IntakeJournal journal, IntakeSettings settings,
                  Function<IntakeRecovery.Reinjector, IntakeRecovery> recoveries, QueueHandOver queue,
                  MailQueueFactory<?> queues, MailRepositoryStore repositories, MetricRegistry metrics, Clock clock) {
        this.nodeId = nodeId;
        this.clock = clock;
        this.journal = journal;
        this.settings = settings;
        this.recoveries = recoveries;
        this.queue = queue;
        this.queues = queues;
        this.repositories = repositories;
        this.metrics = metrics;
    }

    /**
     * Writes the mail to the journal under this node. Throws when Cassandra did not acknowledge: the
     * caller must then refuse the mail (a partial entry is cleared later).
     */
    @Override
    public void journal(Mail mail) throws MessagingException {
        IntakeEntry entry = IntakeMail.entry(nodeId, mail, clock.instant());
        try {
            journal.record(entry);
        } catch (CassandraUnavailableException e) {
            recovery().clearLater(entry.key());
            throw e;
        }
    }

    /**
     * The mail has a durable home (queued, delivered, stored) or was dropped on purpose: its journal entry
     * goes. If Cassandra fails now the entry is cleared later; until then the mail could be processed
     * again only if this node died in between (at least once, never lost).
     */
    public void settled(Mail mail) {
        IntakeMail.key(mail).ifPresent(key -> {
            try {
                journal.clear(key);
            } catch (RuntimeException e) {
                LOGGER.warn("journal entry of mail={} not cleared yet, will retry: {}", key.mailName(), e.getMessage());
                recovery().clearLater(key);
            }
        });
    }

    /** Starts the background work: takeover of dead nodes' mail and the error repository's reprocessing. */
    public synchronized void start() {
        if (timer != null) {
            return;
        }
        reprocessBackoff = settings.reprocessBackoff();
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "dispatch-intake");
            thread.setDaemon(true);
            return thread;
        });
        long every = settings.takeoverInterval().toMillis();
        timer.scheduleWithFixedDelay(this::tick, every, every, TimeUnit.MILLISECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(timer::shutdownNow, "dispatch-intake-shutdown"));
    }

    private synchronized IntakeRecovery recovery() {
        if (recovery == null) {
            MailQueue spool = queues.createQueue(MailQueueFactory.SPOOL);
            recovery = recoveries.apply(entry -> spool.enQueue(IntakeMail.restore(entry)));
        }
        return recovery;
    }

    private void tick() {
        try {
            int reinjected = recovery().runOnce();
            if (reinjected > 0) {
                metrics.counter("dispatch_intake_reinjected").inc(reinjected);
            }
        } catch (CassandraUnavailableException e) {
            LOGGER.debug("intake takeover skipped, Cassandra unavailable: {}", e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOGGER.error("intake takeover failed: {}", e.getMessage(), e);
            return;
        }
        if (settings.reprocessErrors() && !clock.instant().isBefore(nextReprocess)) {
            reprocessErrors();
        }
    }

    /** Hands the mail Dispatch could not queue to the queue; Cassandra answered a moment ago. */
    private void reprocessErrors() {
        Optional<MailRepository> repository;
        try {
            repository = repositories.get(ERROR_REPOSITORY);
        } catch (MailRepositoryStore.MailRepositoryStoreException e) {
            LOGGER.warn("cannot open {}: {}", ERROR_REPOSITORY.asString(), e.getMessage());
            return;
        }
        if (repository.isEmpty()) {
            return;
        }
        int queued = 0;
        int failed = 0;
        try {
            List<MailKey> keys = new ArrayList<>();
            for (Iterator<MailKey> it = repository.get().list(); it.hasNext(); ) {
                keys.add(it.next());
            }
            for (MailKey key : keys) {
                Mail mail = repository.get().retrieve(key);
                if (mail == null || mail.getAttribute(QUEUE_LATER).isEmpty()) {
                    continue;
                }
                try {
                    mail.removeAttribute(QUEUE_LATER);
                    mail.removeAttribute(PROCESSING_ERRORS);
                    queue.handOver(mail);
                    settled(mail);
                    repository.get().remove(key);
                    queued++;
                } catch (CassandraUnavailableException | MessagingException e) {
                    failed++;
                    LOGGER.warn("mail={} stays in {}: {}", mail.getName(), ERROR_REPOSITORY.asString(), e.getMessage());
                    break;
                }
            }
        } catch (MessagingException | RuntimeException e) {
            failed++;
            LOGGER.warn("cannot read {}: {}", ERROR_REPOSITORY.asString(), e.getMessage());
        }
        if (queued > 0) {
            metrics.counter("dispatch_error_repository_requeued").inc(queued);
            LOGGER.info("Cassandra answers again: {} mail(s) kept in {} handed to the queue", queued,
                ERROR_REPOSITORY.asString());
        }
        Duration wait = failed > 0 ? reprocessBackoff.failed() : reprocessBackoff.succeeded();
        nextReprocess = clock.instant().plus(wait);
    }
}
