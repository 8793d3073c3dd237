package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.admin.QueueAdmin;
import org.dispatchmail.core.admin.QueueSelector;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.queue.AttemptRecord;
import org.dispatchmail.core.queue.CassandraQueueStore;
import org.dispatchmail.core.queue.NewMessage;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.dsn.DsnAction;
import org.dispatchmail.core.dsn.DsnMessageBuilder;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.dispatchmail.core.routing.Destination;
import org.dispatchmail.core.routing.Route;
import org.dispatchmail.core.routing.TlsPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeliveryWorkerTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final Set<Integer> ALL_SHARDS = range(0, 16);
    private static final Route MX = Route.mx(Optional.empty(), TlsPolicy.OPPORTUNISTIC);
    /** The smart host that the test's *.relayed.test domains go to. */
    private static final Destination RELAY = Destination.smartHost(
        Route.smartHost("relay", "relay.test", 587, TlsPolicy.REQUIRED, Optional.empty()));

    private final MovableClock clock = new MovableClock(T0);
    private final InMemoryQueueStore store = new InMemoryQueueStore(16, Duration.ofMinutes(1));
    private final InMemoryShardLeases leases = new InMemoryShardLeases(clock);
    private final InMemoryGreylistMemory greylistMemory = new InMemoryGreylistMemory(clock);
    private final RecordingReportSender reportSender = new RecordingReportSender();
    private final RecordingMetrics metrics = new RecordingMetrics();
    private final Deque<String> replies = new ArrayDeque<>();
    /** "node recipient" per delivery attempt, in order. */
    private final List<String> attempted = new ArrayList<>();
    private final List<String> deliveredDomains = new ArrayList<>();
    private final List<DeliveryWorker> workers = new ArrayList<>();
    /** Report sends that fail before one goes through. */
    private int failingSends;
    /** Claim renewals of running attempts, run when a test cranks them as the renewal thread would. */
    private final List<Runnable> renewalTasks = new ArrayList<>();
    private final ClaimRenewal.Repeater renewals = (period, task) -> {
        assertThat(period).isEqualTo(Duration.ofMinutes(5));
        renewalTasks.add(task);
        return () -> renewalTasks.remove(task);
    };

    @AfterEach
    void tearDown() {
        workers.forEach(DeliveryWorker::close);
    }

    /** A worker with a 1h lifetime, schedule 1m,5m and no jitter; leases last 6h unless the test says otherwise. */
    private DeliveryWorker worker(String node, String... overrides) {
        DomainDelivery delivery = new DomainDelivery() {
            @Override
            public Destination destinationOf(String domain) {
                return domain.endsWith(".relayed.test") ? RELAY : Destination.mx(domain, MX);
            }

            @Override
            public List<RecipientOutcome> deliver(Destination destination, String domain, Envelope envelope,
                                                  MessageContent content) {
                return DeliveryWorkerTest.this.deliver(node, domain, envelope, content);
            }
        };
        return worker(node, delivery, new DirectExecutor(), overrides);
    }

    /** A delivery of one domain's recipients, for a test to stand in for the SMTP client. */
    private interface DomainSend {
        List<RecipientOutcome> deliver(String domain, Envelope envelope, MessageContent content);
    }

    /** Every domain its own destination, its MX hosts; delivered by {@code send}. */
    private static DomainDelivery byMx(DomainSend send) {
        return new DomainDelivery() {
            @Override
            public Destination destinationOf(String domain) {
                return Destination.mx(domain, MX);
            }

            @Override
            public List<RecipientOutcome> deliver(Destination destination, String domain, Envelope envelope,
                                                  MessageContent content) {
                return send.deliver(domain, envelope, content);
            }
        };
    }

    private DeliveryWorker worker(String node, DomainDelivery delivery, ExecutorService executor,
                                  String... overrides) {
        Map<String, String> values = new HashMap<>(Map.of("node.id", node, "retry.schedule", "1m,5m",
            "retry.maxLifetime", "1h", "retry.jitter", "0%", "retry.greylist.jitter", "0%",
            "queue.leaseTime", "6h"));
        for (int i = 0; i < overrides.length; i += 2) {
            values.put(overrides[i], overrides[i + 1]);
        }
        ConfigReader config = new ConfigReader("dispatch.properties", values);
        WorkerSettings settings = WorkerSettings.from(config);
        RetrySettings retry = RetrySettings.from(config);
        RetryPolicy policy = new RetryPolicy(retry, new Random(1));
        DeliveryReports reports = new DeliveryReports((recipient, bytes) -> {
            if (failingSends > 0) {
                failingSends--;
                throw new IllegalStateException("the mailet container refuses mail");
            }
            reportSender.send(recipient, bytes);
        }, "mx.dispatch.test",
            DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE, metrics, clock);
        OutcomeRecorder recorder = new OutcomeRecorder(store, greylistMemory, policy, retry, reports, metrics, node,
            clock);
        ShardOwnership ownership = new ShardOwnership(leases, node, store.shards(), settings.leaseTime());
        DeliveryWorker worker = new DeliveryWorker(store, delivery, recorder, ownership, settings, retry.maxLifetime(),
            clock, executor, renewals, null);
        workers.add(worker);
        return worker;
    }

    /** A worker that has taken its shards. */
    private DeliveryWorker started(String node, String... overrides) {
        DeliveryWorker worker = worker(node, overrides);
        worker.refreshLeases();
        return worker;
    }

    /** Answers each recipient with the next scripted reply, or 250 when none is left. */
    private List<RecipientOutcome> deliver(String node, String domain, Envelope envelope, MessageContent content) {
        deliveredDomains.add(domain);
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            attempted.add(node + " " + recipient);
            String reply = replies.isEmpty() ? "250 2.0.0 ok" : replies.removeFirst();
            outcomes.add(RecipientOutcome.fromReply(recipient, "mx." + domain, "192.0.2.1", AttemptStage.RCPT,
                SmtpReply.parse(List.of(reply))));
        }
        return outcomes;
    }

    private UUID enqueue(String... recipients) {
        return enqueueInto(ALL_SHARDS, recipients);
    }

    /** Enqueues a message whose id falls in one of the given shards. */
    private UUID enqueueInto(Set<Integer> shards, String... recipients) {
        for (int i = 0; i < 10_000; i++) {
            String name = "mail-" + UUID.randomUUID();
            if (shards.contains(store.shardOf(CassandraQueueStore.messageId(name)))) {
                return store.enqueue(new NewMessage(name, "alice@example.com", List.of(recipients),
                    "Subject: x\r\n\r\nbody\r\n".getBytes()), clock.instant());
            }
        }
        throw new AssertionError("no message name falls into shards " + shards);
    }

    private RecipientRecord record(UUID id, String recipient) {
        return store.recipient(id, recipient).orElseThrow();
    }

    private RecipientState state(UUID id, String recipient) {
        return store.recipient(id, recipient).orElseThrow().state();
    }

    /** Moves the clock in steps of 10 s, with a lease round of each given worker after every step. */
    private void pass(Duration total, DeliveryWorker... refreshing) {
        Duration left = total;
        while (!left.isZero()) {
            Duration step = left.compareTo(Duration.ofSeconds(10)) < 0 ? left : Duration.ofSeconds(10);
            clock.advance(step);
            left = left.minus(step);
            for (DeliveryWorker worker : refreshing) {
                worker.refreshLeases();
            }
        }
    }

    private void renewClaims() {
        new ArrayList<>(renewalTasks).forEach(Runnable::run);
    }

    private List<AttemptRecord> attempts() {
        return store.attemptLog();
    }

    @Test
    void oneBackloggedPollHandsEveryDueMessageToTheThreadsAsTheyFreeUp() throws Exception {
        List<String> delivered = java.util.Collections.synchronizedList(new ArrayList<>());
        DomainDelivery slow = byMx((domain, envelope, content) -> {
            try {
                Thread.sleep(20); // keeps both threads busy while the poll still has messages to hand over
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                delivered.add(recipient);
                outcomes.add(RecipientOutcome.fromReply(recipient, "mx." + domain, "192.0.2.1",
                    AttemptStage.RCPT, SmtpReply.parse(List.of("250 2.0.0 ok"))));
            }
            return outcomes;
        });
        ExecutorService threads = Executors.newFixedThreadPool(2);
        DeliveryWorker worker = worker("node-a", slow, threads, "delivery.threads", "2");
        worker.refreshLeases();
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            recipients.add("rcpt" + i + "@one.test");
            enqueue("rcpt" + i + "@one.test");
        }
        worker.pollOnce();
        threads.shutdown();
        assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(delivered).containsExactlyInAnyOrderElementsOf(recipients);
    }

    @Test
    void aDueRecipientIsDeliveredOnceAndItsEntryRemoved() {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test");
        replies.add("250 2.0.0 ok");

        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(store.hasContent(id)).as("a finished message's content is removed").isFalse();
        assertThat(store.dueCount()).as("and with it the entry its claim left to look at it again").isZero();

        clock.advance(Duration.ofMinutes(20));
        assertThat(worker.pollOnce()).isZero();
        assertThat(attempts()).hasSize(1);
        assertThat(store.dueCount()).isZero();
        assertThat(metrics.calls()).containsExactly("attempt delivered 2xx", "delivered");
        assertThat(reportSender.sent()).isEmpty();
    }

    @Test
    void anAttemptLongerThanItsClaimKeepsTheClaimByRenewingIt() {
        UUID id = enqueue("bob@one.test");
        DomainDelivery slow = byMx((domain, envelope, content) -> {
            // servers tried in turn take 25 minutes, a claim lasts 15: renewed every third of it
            for (int i = 0; i < 5; i++) {
                clock.advance(Duration.ofMinutes(5));
                renewClaims();
                assertThat(record(id, "bob@one.test").claimableAt(clock.instant()))
                    .as("no other node may take it over").isFalse();
            }
            return deliver("node-a", domain, envelope, content);
        });
        DeliveryWorker worker = worker("node-a", slow, new DirectExecutor());
        worker.refreshLeases();

        assertThat(worker.pollOnce()).isEqualTo(1);

        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(store.renewals()).isEqualTo(5);
        assertThat(renewalTasks).as("renewing stops with the attempt").isEmpty();
    }

    @Test
    void anAttemptWhoseClaimWasTakenOverWritesNoOutcomeAndSendsNoReport() {
        UUID id = enqueue("bob@one.test");
        replies.add("550 5.1.1 no such user");
        DomainDelivery stuck = byMx((domain, envelope, content) -> {
            // no renewal got through in time (Cassandra away, say): the claim ran out and node-b took it over
            clock.advance(Duration.ofMinutes(16));
            assertThat(store.claim(record(id, "bob@one.test"), "node-b", clock.instant().plus(Duration.ofMinutes(15))))
                .isTrue();
            renewClaims();
            return deliver("node-a", domain, envelope, content);
        });
        DeliveryWorker worker = worker("node-a", stuck, new DirectExecutor());
        worker.refreshLeases();

        worker.pollOnce();

        RecipientRecord bob = record(id, "bob@one.test");
        assertThat(bob.state()).isEqualTo(RecipientState.IN_FLIGHT);
        assertThat(bob.claimedBy()).contains("node-b");
        assertThat(bob.attempts()).isZero();
        assertThat(attempts()).as("nothing is written for the lost attempt").isEmpty();
        assertThat(reportSender.sent()).as("no bounce for a state this attempt no longer owns").isEmpty();
        assertThat(store.hasContent(id)).isTrue();
    }

    @Test
    void aBounceWhoseReportCouldNotBeSentHasItSentOnceLaterByAWorker() throws Exception {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test");
        replies.add("550 5.1.1 no such user");
        failingSends = 1;

        worker.pollOnce();

        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(record(id, "bob@one.test").reportOwed()).contains(DsnAction.FAILED);
        assertThat(reportSender.sent()).isEmpty();
        assertThat(store.hasContent(id)).isTrue();

        clock.advance(DeliveryReports.RETRY);
        worker.pollOnce();

        assertThat(reportSender.sent()).hasSize(1);
        ParsedReport report = ParsedReport.parse(reportSender.sent().get(0).bytes());
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("5.1.1");
        assertThat(record(id, "bob@one.test").reportOwed()).isEmpty();
        assertThat(store.hasContent(id)).isFalse();

        clock.advance(Duration.ofMinutes(30));
        worker.pollOnce();
        assertThat(reportSender.sent()).as("sent once").hasSize(1);
        assertThat(attempts()).as("a report is no new attempt").hasSize(1);
    }

    @Test
    void recipientsOfOneDomainShareATransactionAndOthersGetTheirOwn() {
        DeliveryWorker worker = started("node-a");
        enqueue("a@one.test", "b@one.test", "c@two.test");

        assertThat(worker.pollOnce()).isEqualTo(3);

        assertThat(deliveredDomains).containsExactlyInAnyOrder("one.test", "two.test");
    }

    @Test
    void aTemporaryFailureIsRetriedOnTheScheduleAndAPermanentOneBounces() {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test", "carol@one.test");
        replies.addAll(List.of("451 4.3.0 later", "550 5.1.1 no such user"));

        worker.pollOnce();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DEFERRED);
        assertThat(record(id, "bob@one.test").nextAttemptAt()).isEqualTo(T0.plusSeconds(60));
        assertThat(state(id, "carol@one.test")).isEqualTo(RecipientState.BOUNCED);
        assertThat(reportSender.sent()).hasSize(1);
        assertThat(reportSender.sent().get(0).recipient()).isEqualTo("alice@example.com");

        clock.advance(Duration.ofSeconds(59));
        assertThat(worker.pollOnce()).as("not due before the first delay").isZero();

        clock.advance(Duration.ofSeconds(1));
        replies.add("451 4.3.0 still later");
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(record(id, "bob@one.test").nextAttemptAt())
            .as("second delay of the schedule").isEqualTo(T0.plusSeconds(60 + 300));

        clock.advance(Duration.ofMinutes(5));
        replies.add("451 4.3.0 later again");
        worker.pollOnce();
        assertThat(record(id, "bob@one.test").nextAttemptAt())
            .as("the schedule repeats its last delay").isEqualTo(T0.plusSeconds(60 + 300 + 300));

        clock.advance(Duration.ofMinutes(5));
        replies.add("250 2.0.0 ok");
        worker.pollOnce();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(record(id, "bob@one.test").attempts()).isEqualTo(4);
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aRecipientStillFailingAtTheEndOfItsLifetimeExpires() throws Exception {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test");
        for (int i = 0; i < 30; i++) {
            replies.add("451 4.3.0 later");
        }
        worker.pollOnce();
        for (int minutes = 0; minutes < 70 && state(id, "bob@one.test") == RecipientState.DEFERRED; minutes++) {
            clock.advance(Duration.ofMinutes(1));
            worker.pollOnce();
        }

        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.EXPIRED);
        AttemptRecord last = attempts().get(attempts().size() - 1);
        assertThat(last.decision()).isEqualTo(RecipientState.EXPIRED);
        assertThat(last.nextAttemptAt()).isEmpty();
        assertThat(last.attemptedAt()).as("given up when its lifetime ends, not before")
            .isEqualTo(T0.plus(Duration.ofHours(1)));
        for (AttemptRecord attempt : attempts().subList(0, attempts().size() - 1)) {
            assertThat(attempt.decision()).isEqualTo(RecipientState.DEFERRED);
            assertThat(attempt.nextAttemptAt().orElseThrow()).isBeforeOrEqualTo(T0.plus(Duration.ofHours(1)));
        }
        assertThat(metrics.calls()).contains("failed expired");
        assertThat(reportSender.sent()).hasSize(1);
        ParsedReport report = ParsedReport.parse(reportSender.sent().get(0).bytes());
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).startsWith("4.");
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aClaimThatRanOutIsTakenOverWhenItsEntryComesDue() {
        leases.heartbeat("node-b", Duration.ofHours(6));
        DeliveryWorker worker = started("node-a");
        UUID id = enqueueInto(worker.ownedShards(), "bob@one.test");
        // node-b, alive, claimed it the way a worker does (the claim indexes it at its end, the entry that
        // led to it is removed) and never finished its attempt
        RecipientRecord seen = store.recipient(id, "bob@one.test").orElseThrow();
        assertThat(store.claim(seen, "node-b", T0.plus(Duration.ofMinutes(15)))).isTrue();
        store.dueEntries(store.shardOf(id), store.bucketOf(T0), T0, 10).forEach(store::removeDue);

        assertThat(worker.pollOnce()).as("held by a live claim").isZero();
        clock.advance(Duration.ofMinutes(14));
        assertThat(worker.pollOnce()).isZero();

        clock.advance(Duration.ofMinutes(1));
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(attempts()).hasSize(1);
        assertThat(attempts().get(0).node()).isEqualTo("node-a");
        assertThat(attempts().get(0).attemptedAt()).isEqualTo(T0.plus(Duration.ofMinutes(15)));
    }

    @Test
    void aClaimOfANodeThatStoppedHeartbeatingIsTakenOverBeforeItRunsOut() {
        leases.heartbeat("node-b", Duration.ofSeconds(30));
        DeliveryWorker worker = started("node-a", "queue.leaseTime", "30s");
        UUID id = enqueueInto(worker.ownedShards(), "bob@one.test");
        // node-b wrote its claim and died before it removed the entry that led to it; no poll saw the claim
        // while node-b lived (one that does drops the entry, and then only the claim's own entry is left)
        RecipientRecord seen = store.recipient(id, "bob@one.test").orElseThrow();
        assertThat(store.claim(seen, "node-b", T0.plus(Duration.ofMinutes(15)))).isTrue();

        pass(Duration.ofSeconds(30), worker);
        assertThat(worker.ownedShards()).as("node-b's heartbeat ran out").isEqualTo(ALL_SHARDS);
        assertThat(worker.pollOnce()).isEqualTo(1);

        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(attempted).containsExactly("node-a bob@one.test");
        assertThat(attempts().get(0).attemptedAt()).isBefore(T0.plus(Duration.ofMinutes(15)));
    }

    @Test
    void aLiveClaimIsCheckedAgainEveryLeaseTimeSoItIsTakenOverSoonAfterItsNodeDies() {
        leases.heartbeat("node-b", Duration.ofSeconds(30));
        DeliveryWorker worker = started("node-a", "queue.leaseTime", "30s");
        UUID id = enqueueInto(worker.ownedShards(), "bob@one.test");
        // node-b claims it as a worker does: indexed again at the claim's end and one lease time ahead,
        // the entry that led to the claim removed
        RecipientRecord seen = store.recipient(id, "bob@one.test").orElseThrow();
        assertThat(store.claim(seen, "node-b", T0.plus(Duration.ofMinutes(15)))).isTrue();
        store.index(id, "bob@one.test", T0.plus(Duration.ofSeconds(30)));
        store.dueEntries(store.shardOf(id), store.bucketOf(T0), T0, 10).forEach(store::removeDue);

        // node-b is alive at the first check: the claim stands and is looked at again a lease time later
        clock.advance(Duration.ofSeconds(30));
        leases.heartbeat("node-b", Duration.ofSeconds(30));
        worker.refreshLeases();
        assertThat(worker.pollOnce()).isZero();
        assertThat(store.dueTimes(id, "bob@one.test")).contains(T0.plus(Duration.ofSeconds(60)));

        // node-b dies: its heartbeat runs out, and the next check takes the recipient over
        pass(Duration.ofSeconds(30), worker);
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(attempted).containsExactly("node-a bob@one.test");
        assertThat(attempts().get(0).attemptedAt()).isEqualTo(T0.plus(Duration.ofSeconds(60)));
    }

    @Test
    void domainsSentThroughOneSmartHostShareOneTransaction() {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@a.relayed.test", "carol@b.relayed.test", "dave@one.test");

        assertThat(worker.pollOnce()).isEqualTo(3);

        assertThat(deliveredDomains).as("one call for the smart host's two domains, one for the MX domain")
            .hasSize(2).contains("one.test");
        assertThat(state(id, "bob@a.relayed.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(state(id, "carol@b.relayed.test")).isEqualTo(RecipientState.DELIVERED);
    }

    @Test
    void aNodePollsOnlyTheShardsItLeases() {
        leases.heartbeat("node-b", Duration.ofHours(6));
        for (int shard = 0; shard < 8; shard++) {
            assertThat(leases.acquire(shard, "node-b", Duration.ofHours(6))).isTrue();
        }
        DeliveryWorker worker = started("node-a");
        assertThat(worker.ownedShards()).isEqualTo(range(8, 16));

        UUID theirs = enqueueInto(Set.of(3), "bob@one.test");
        UUID mine = enqueueInto(Set.of(12), "carol@one.test");

        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(attempted).containsExactly("node-a carol@one.test");
        assertThat(state(mine, "carol@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(state(theirs, "bob@one.test")).isEqualTo(RecipientState.PENDING);
    }

    @Test
    void twoWorkersSplitTheShardsAndADeadNodesShardsMoveToTheOtherAfterTheLeaseTime() {
        DeliveryWorker a = worker("node-a", "queue.leaseTime", "30s");
        DeliveryWorker b = worker("node-b", "queue.leaseTime", "30s");
        for (int round = 0; round < 2; round++) {
            a.refreshLeases();
            b.refreshLeases();
        }
        assertThat(a.ownedShards()).hasSize(8);
        assertThat(b.ownedShards()).hasSize(8);
        assertThat(union(a.ownedShards(), b.ownedShards())).isEqualTo(ALL_SHARDS);
        assertThat(leases.heldBy("node-a")).isEqualTo(a.ownedShards());

        UUID forA = enqueueInto(a.ownedShards(), "x@one.test");
        Set<Integer> shardsOfB = b.ownedShards();
        UUID forB = enqueueInto(shardsOfB, "y@two.test");
        assertThat(a.pollOnce()).isEqualTo(1);
        assertThat(attempted).containsExactly("node-a x@one.test");

        // node-b dies without a word: no release, no more heartbeats
        pass(Duration.ofSeconds(20), a);
        assertThat(a.ownedShards()).as("within the lease time nothing moves").hasSize(8);
        assertThat(a.pollOnce()).isZero();

        pass(Duration.ofSeconds(10), a);
        assertThat(a.ownedShards()).isEqualTo(ALL_SHARDS);
        assertThat(a.pollOnce()).isEqualTo(1);
        assertThat(attempted).containsExactly("node-a x@one.test", "node-a y@two.test");
        assertThat(state(forA, "x@one.test")).isEqualTo(RecipientState.DELIVERED);
        assertThat(state(forB, "y@two.test")).isEqualTo(RecipientState.DELIVERED);
    }

    @Test
    void threeWorkersSettleOnAFairShareEach() {
        List<DeliveryWorker> nodes = List.of(worker("node-a"), worker("node-b"), worker("node-c"));
        for (int round = 0; round < 5; round++) {
            nodes.forEach(DeliveryWorker::refreshLeases);
        }
        Set<Integer> all = new TreeSet<>();
        int total = 0;
        for (DeliveryWorker node : nodes) {
            assertThat(node.ownedShards().size()).as("ceil(16 / 3)").isBetween(4, 6);
            all.addAll(node.ownedShards());
            total += node.ownedShards().size();
        }
        assertThat(all).isEqualTo(ALL_SHARDS);
        assertThat(total).as("no shard worked twice").isEqualTo(16);
    }

    @Test
    void aCleanStopHandsTheShardsOverAtOnce() {
        DeliveryWorker a = worker("node-a", "queue.leaseTime", "30s");
        DeliveryWorker b = worker("node-b", "queue.leaseTime", "30s");
        for (int round = 0; round < 2; round++) {
            a.refreshLeases();
            b.refreshLeases();
        }
        b.close();
        assertThat(leases.heldBy("node-b")).isEmpty();
        pass(Duration.ofSeconds(30), a);
        assertThat(a.ownedShards()).isEqualTo(ALL_SHARDS);
    }

    @Test
    void aHeldRecipientIsNeverAttemptedAndExpiresWithAFailureReportWhenItsLifetimeEnds() throws Exception {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test");
        QueueAdmin admin = new QueueAdmin(store, new DeliveryReports(reportSender, "mx.dispatch.test",
            DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE, metrics, clock), Duration.ofHours(1), clock);
        assertThat(admin.hold(QueueSelector.message(id)).changed()).isEqualTo(1);

        assertThat(worker.pollOnce()).isZero();
        clock.advance(Duration.ofMinutes(30));
        assertThat(worker.pollOnce()).isZero();
        clock.advance(Duration.ofMinutes(29));
        assertThat(worker.pollOnce()).isZero();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.HELD);
        assertThat(reportSender.sent()).isEmpty();

        clock.advance(Duration.ofMinutes(1));
        worker.pollOnce();

        assertThat(attempted).as("never attempted").isEmpty();
        RecipientRecord after = store.recipient(id, "bob@one.test").orElseThrow();
        assertThat(after.state()).isEqualTo(RecipientState.EXPIRED);
        assertThat(after.lastResult().orElseThrow()).contains("held past the queue lifetime");
        assertThat(reportSender.sent()).hasSize(1);
        ParsedReport report = ParsedReport.parse(reportSender.sent().get(0).bytes());
        assertThat(report.recipientField("bob@one.test", "Action")).isEqualTo("failed");
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("4.4.7");
        assertThat(metrics.calls()).contains("failed expired");
        assertThat(store.hasContent(id)).isFalse();
    }

    @Test
    void aRecipientPastItsLifetimeWhenClaimedExpiresWithoutAnAttempt() throws Exception {
        DeliveryWorker worker = started("node-a");
        worker.pollOnce();
        UUID id = enqueue("bob@one.test");
        // no node polled for the lifetime (1h) and a claim duration (15m) more: the cluster was down
        clock.advance(Duration.ofMinutes(76));
        worker.refreshLeases();

        assertThat(worker.pollOnce()).isEqualTo(1);

        assertThat(attempted).isEmpty();
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.EXPIRED);
        assertThat(attempts()).hasSize(1);
        AttemptRecord expiry = attempts().get(0);
        assertThat(expiry.node()).isEqualTo("node-a");
        assertThat(expiry.decision()).isEqualTo(RecipientState.EXPIRED);
        assertThat(expiry.nextAttemptAt()).isEmpty();
        assertThat(expiry.outcome().enhancedStatus()).isEqualTo("4.4.7");
        assertThat(reportSender.sent()).hasSize(1);
        ParsedReport report = ParsedReport.parse(reportSender.sent().get(0).bytes());
        assertThat(report.recipientField("bob@one.test", "Status")).isEqualTo("4.4.7");
        assertThat(store.hasContent(id)).isFalse();

        clock.advance(Duration.ofMinutes(20));
        assertThat(worker.pollOnce()).as("its claim's entry finds it final").isZero();
        assertThat(store.dueCount()).isZero();
    }

    @Test
    void anEntryThatLandsLateInABucketAlreadyFoundEmptyIsStillDelivered() {
        DeliveryWorker worker = started("node-a");
        assertThat(worker.pollOnce()).isZero();
        // 10:01:05: the 10:00 bucket looks empty, but an entry of 10:00:50 may still be on its way
        clock.advance(Duration.ofSeconds(35));
        assertThat(worker.pollOnce()).isZero();

        UUID id = store.enqueue(new NewMessage("late-mail", "alice@example.com", List.of("bob@one.test"),
            "Subject: x\r\n\r\nbody\r\n".getBytes()), T0.plusSeconds(20));
        assertThat(worker.pollOnce()).isEqualTo(1);
        assertThat(state(id, "bob@one.test")).isEqualTo(RecipientState.DELIVERED);

        // once the bucket ended INDEX_WRITE_GRACE ago, the cursors move past it
        clock.advance(DeliveryWorker.INDEX_WRITE_GRACE);
        worker.pollOnce();
        assertThat(store.cursor(store.shardOf(id))).contains(store.bucketOf(clock.instant()));
    }

    @Test
    void aDestinationHoldsAtMostItsShareOfTheDeliveryThreadsAndTheRestStaysDue() {
        DomainDelivery delivery = byMx((domain, envelope, content) -> deliver("node-a", domain, envelope, content));
        HeldExecutor threads = new HeldExecutor();
        DeliveryWorker worker = worker("node-a", delivery, threads, "delivery.threads", "4",
            "delivery.maxThreadsPerDestination", "2");
        worker.refreshLeases();
        List<UUID> slow = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            slow.add(enqueue("r" + i + "@tarpit.test"));
        }
        UUID other = enqueue("bob@other.test");

        worker.pollOnce();
        // two threads busy with the tarpit, one with the other domain; three tarpit messages wait, taking none
        assertThat(threads.held).hasSize(3);
        threads.runAll();
        assertThat(deliveredDomains).containsOnlyOnce("other.test");
        assertThat(deliveredDomains.stream().filter("tarpit.test"::equals)).hasSize(2);
        assertThat(state(other, "bob@other.test")).isEqualTo(RecipientState.DELIVERED);

        worker.pollOnce();
        assertThat(threads.held).hasSize(2);
        threads.runAll();
        worker.pollOnce();
        threads.runAll();
        assertThat(slow).allMatch(id -> state(id, "r" + slow.indexOf(id) + "@tarpit.test") == RecipientState.DELIVERED);
    }

    @Test
    void anIndexEntryWithoutARecipientIsDroppedAfterAGracePeriod() {
        DeliveryWorker worker = started("node-a");
        UUID id = enqueue("bob@one.test");
        store.delete(id);
        assertThat(worker.pollOnce()).isZero();
        assertThat(store.dueCount()).as("kept while its hand-over may still be under way").isEqualTo(1);

        clock.advance(Duration.ofMinutes(11));
        worker.pollOnce();
        assertThat(store.dueCount()).isZero();
    }

    /** Keeps the deliveries handed to it, as threads still busy with them, until the test runs them. */
    private static final class HeldExecutor extends DirectExecutor {
        final List<Runnable> held = new ArrayList<>();

        @Override
        public void execute(Runnable command) {
            held.add(command);
        }

        void runAll() {
            List<Runnable> now = new ArrayList<>(held);
            held.clear();
            now.forEach(Runnable::run);
        }
    }

    private static Set<Integer> range(int from, int to) {
        Set<Integer> shards = new TreeSet<>();
        for (int shard = from; shard < to; shard++) {
            shards.add(shard);
        }
        return shards;
    }

    private static Set<Integer> union(Set<Integer> a, Set<Integer> b) {
        Set<Integer> all = new HashSet<>(a);
        all.addAll(b);
        return new TreeSet<>(all);
    }

    /** Runs each delivery in the polling thread, so a poll has finished its work when it returns. */
    private static class DirectExecutor extends AbstractExecutorService {
        private boolean shutdown;

        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
            shutdown = true;
        }

        @Override
        public List<Runnable> shutdownNow() {
            shutdown = true;
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return shutdown;
        }

        @Override
        public boolean isTerminated() {
            return shutdown;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }
}
