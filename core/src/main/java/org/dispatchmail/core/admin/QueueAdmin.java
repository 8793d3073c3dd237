package org.dispatchmail.core.admin;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.QueueStore;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.worker.DeliveryReports;
import org.dispatchmail.core.worker.DeliveryWorker;
import org.dispatchmail.core.queue.QueueSummary;
import org.dispatchmail.core.routing.DomainNames;

/**
 * What an admin can see and do with the queue: a summary, lists, one message with its history,
 * retry now, hold, release, delete and bounce now. Every change is a compare-and-set on the
 * recipient's state, so it never overrides a delivery in flight: such recipients are skipped and counted.
 */
public final class QueueAdmin {
    /** RFC 3463: other or undefined status, permanent: what "bounce now" reports. */
    static final String ADMIN_BOUNCE_STATUS = "5.0.0";

    private final QueueStore store;
    private final DeliveryReports reports;
    private final Duration maxLifetime;
    private final Clock clock;

    public QueueAdmin(QueueStore store, DeliveryReports reports, Duration maxLifetime, Clock clock) {
        this.store = store;
        this.reports = reports;
        this.maxLifetime = maxLifetime;
        this.clock = clock;
    }

    /** Unfinished recipients by domain, state and age, over the given shards. */
    public QueueSummary summary(Collection<Integer> shards) {
        QueueSummary summary = new QueueSummary();
        Instant now = clock.instant();
        for (UUID id : activeMessages(shards)) {
            Optional<StoredMessage> message = store.message(id);
            if (message.isEmpty()) {
                continue;
            }
            Duration age = Duration.between(message.get().createdAt(), now);
            for (RecipientRecord record : store.recipients(id)) {
                if (!record.state().isFinal()) {
                    summary.add(DomainNames.recipientDomain(record.recipient()), stateName(record.state()), age);
                }
            }
        }
        return summary;
    }

    public QueueSummary summary() {
        return summary(allShards());
    }

    /** Unfinished recipients matching the filters, oldest messages first, at most {@code limit}. */
    public List<QueueEntry> list(QueueSelector selector, Optional<RecipientState> state, Optional<String> sender,
                                 int limit) {
        List<QueueEntry> entries = new ArrayList<>();
        for (StoredMessage message : messages(selector)) {
            if (sender.isPresent() && !message.sender().equalsIgnoreCase(sender.get())) {
                continue;
            }
            for (RecipientRecord record : store.recipients(message.id())) {
                if (record.state().isFinal() && state.map(s -> s != record.state()).orElse(true)) {
                    continue;
                }
                if (selector.matchesRecipient(record.recipient()) && state.map(s -> s == record.state()).orElse(true)) {
                    entries.add(new QueueEntry(message, record));
                    if (entries.size() >= limit) {
                        return entries;
                    }
                }
            }
        }
        return entries;
    }

    /** One message, finished or not, while its history is kept. */
    public Optional<StoredMessage> message(UUID id) {
        return store.message(id);
    }

    public List<RecipientRecord> recipients(UUID id) {
        return store.recipients(id);
    }

    public List<AttemptHistoryEntry> attempts(UUID id, String recipient) {
        return store.attempts(id, recipient);
    }

    /** Makes waiting recipients due now. */
    public ChangeCount retryNow(QueueSelector selector) {
        Instant now = clock.instant();
        return change(selector, r -> r == RecipientState.PENDING || r == RecipientState.DEFERRED,
            (message, record) -> record.toBuilder().nextAttemptAt(now).build());
    }

    /** Keeps waiting recipients from being attempted until released (or until their lifetime ends). */
    public ChangeCount hold(QueueSelector selector) {
        return change(selector, r -> r == RecipientState.PENDING || r == RecipientState.DEFERRED,
            (message, record) -> record.toBuilder().state(RecipientState.HELD)
                .nextAttemptAt(message.createdAt().plus(maxLifetime)).build());
    }

    /** Lets held recipients be attempted again, now. */
    public ChangeCount release(QueueSelector selector) {
        Instant now = clock.instant();
        return change(selector, r -> r == RecipientState.HELD,
            (message, record) -> record.toBuilder().state(RecipientState.DEFERRED).nextAttemptAt(now).build());
    }

    /** Gives waiting recipients up at once, with a failure report to the sender as for any bounce. */
    public ChangeCount bounceNow(QueueSelector selector, String reason) {
        Instant now = clock.instant();
        ChangeCount count = new ChangeCount();
        for (StoredMessage message : messages(selector)) {
            List<DeliveryReports.Line> lines = new ArrayList<>();
            for (RecipientRecord record : store.recipients(message.id())) {
                if (!selector.matchesRecipient(record.recipient()) || record.state().isFinal()) {
                    continue;
                }
                if (!record.state().isWaiting()) {
                    count.skipped++;
                    continue;
                }
                DeliveryReports.Line line = DeliveryReports.Line.administrative(record, ADMIN_BOUNCE_STATUS, reason);
                // The report is marked as owed in the state and sent after it (again later if the send fails).
                boolean wanted = DeliveryReports.wanted(message, record, DsnAction.FAILED);
                RecipientRecord after = record.toBuilder().state(RecipientState.BOUNCED).nextAttemptAt(now)
                    .lastResult(Optional.of(ADMIN_BOUNCE_STATUS + " " + reason))
                    .reportOwed(wanted ? Optional.of(DsnAction.FAILED) : Optional.empty()).build();
                if (wanted) {
                    store.index(message.id(), record.recipient(), now.plus(DeliveryReports.RETRY));
                }
                if (store.update(record, after)) {
                    if (wanted) {
                        lines.add(line);
                    }
                    count.changed++;
                } else {
                    count.skipped++;
                }
            }
            if (!lines.isEmpty() && reports.failed(message, lines)) {
                List<String> sent = new ArrayList<>();
                lines.forEach(line -> sent.add(line.record().recipient()));
                store.reportsSent(message.id(), sent);
            }
            finishIfDone(message.id());
        }
        return count;
    }

    /** Removes whole messages (every recipient, the content and the history), without any report. */
    public ChangeCount delete(QueueSelector selector) {
        ChangeCount count = new ChangeCount();
        for (StoredMessage message : messages(selector)) {
            boolean matches = selector.domain().isEmpty() || store.recipients(message.id()).stream()
                .anyMatch(r -> selector.matchesRecipient(r.recipient()));
            if (matches) {
                store.delete(message.id());
                count.changed++;
            }
        }
        return count;
    }

    private ChangeCount change(QueueSelector selector, Predicate<RecipientState> applies, Change change) {
        ChangeCount count = new ChangeCount();
        for (StoredMessage message : messages(selector)) {
            for (RecipientRecord record : store.recipients(message.id())) {
                if (!selector.matchesRecipient(record.recipient()) || record.state().isFinal()) {
                    continue;
                }
                if (!applies.test(record.state())) {
                    count.skipped++;
                    continue;
                }
                if (store.update(record, change.apply(message, record))) {
                    count.changed++;
                } else {
                    count.skipped++;
                }
            }
        }
        return count;
    }

    private void finishIfDone(UUID id) {
        // a report still owed quotes the content: it stays until the report is sent
        if (store.recipients(id).stream().allMatch(r -> r.state().isFinal() && r.reportOwed().isEmpty())) {
            store.finish(id);
        }
    }

    private List<StoredMessage> messages(QueueSelector selector) {
        List<StoredMessage> messages = new ArrayList<>();
        if (selector.messageId().isPresent()) {
            store.message(selector.messageId().get()).ifPresent(messages::add);
            return messages;
        }
        for (UUID id : activeMessages(allShards())) {
            store.message(id).ifPresent(messages::add);
        }
        messages.sort((a, b) -> a.createdAt().compareTo(b.createdAt()));
        return messages;
    }

    /** Every message not finished yet: the days of the queue's lifetime, shard by shard. */
    private List<UUID> activeMessages(Collection<Integer> shards) {
        Instant now = clock.instant();
        long today = Math.floorDiv(now.getEpochSecond(), 86_400L);
        long first = Math.floorDiv(now.minus(maxLifetime).getEpochSecond(), 86_400L) - 1;
        List<UUID> ids = new ArrayList<>();
        for (int shard : shards) {
            for (long day = first; day <= today; day++) {
                ids.addAll(store.activeMessages(shard, day));
            }
        }
        return ids;
    }

    private List<Integer> allShards() {
        List<Integer> shards = new ArrayList<>();
        for (int shard = 0; shard < store.shards(); shard++) {
            shards.add(shard);
        }
        return shards;
    }

    private static String stateName(RecipientState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    private interface Change {
        RecipientRecord apply(StoredMessage message, RecipientRecord record);
    }

    /** How many recipients a command changed, and how many it left alone (in flight, or changed meanwhile). */
    public static final class ChangeCount {
        private int changed;
        private int skipped;

        public int changed() {
            return changed;
        }

        public int skipped() {
            return skipped;
        }
    }
}
