package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two Dispatch nodes share one queue in Cassandra: 1,000 messages submitted to both are each
 * delivered exactly once; and when one node is killed (SIGKILL, James and its launcher) half-way
 * through, the other takes its claims over once they run out and delivers the rest, losing
 * nothing and repeating only what the dead node had in flight.
 */
@ExtendWith(CassandraExtension.class)
class TwoNodeQueueIT {
    private static final String MX_ADDRESS = "127.0.0.51";
    private static final int MESSAGES = 1000;
    private static final int SUBMITTERS = 4;
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "correct horse battery";
    private static final Duration DELIVERY_TIMEOUT = Duration.ofMinutes(5);
    private static final Pattern RCPT = Pattern.compile("(?m)^X-Rcpt-Args: <([^>]*)>");
    private static final Pattern MESSAGE_ID = Pattern.compile("(?mi)^Message-ID: (<[^>]+>)");
    private static final Pattern END = Pattern.compile("(?m)^end of message (\\d+)$");

    private DeliveryRig rig;
    private final List<DispatchNode> nodes = new ArrayList<>();
    private SmtpSink sink;

    @AfterEach
    void stopPeers() throws Exception {
        // both at once: each drains its deliveries for up to 30 s
        ExecutorService stopper = Executors.newFixedThreadPool(2);
        try {
            List<Future<Void>> stopping = new ArrayList<>();
            for (DispatchNode node : nodes) {
                stopping.add(stopper.submit((Callable<Void>) () -> {
                    node.close();
                    return null;
                }));
            }
            for (Future<Void> stop : stopping) {
                stop.get(5, TimeUnit.MINUTES);
            }
        } finally {
            stopper.shutdownNow();
        }
        if (rig != null) {
            rig.close(); // the sink and the DNS server; the nodes are stopped already
        }
    }

    @Test
    void twoNodesDeliverEveryMessageOfTheSharedQueueExactlyOnce(EmbeddedCassandra cassandra) throws Exception {
        long started = System.nanoTime();
        startRig(cassandra, "two_nodes_shared");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.two.test"));
        startNodes(8);
        Map<String, Integer> expected = submitAll();
        log("submitted %d messages (%d recipients) in %d s", MESSAGES, expected.size(), seconds(started));

        Map<String, Integer> received = awaitDelivered(expected.keySet());
        log("all delivered after %d s", seconds(started));
        assertThat(missing(expected.keySet(), received)).as("lost").isEmpty();
        assertThat(duplicates(received)).as("delivered more than once").isEmpty();
        assertThat(received.keySet()).as("delivered but never submitted").isEqualTo(expected.keySet());

        try (QueueState queue = new QueueState(cassandra, "two_nodes_shared")) {
            Map<String, Long> deliveredBy = deliveredByNode(queue);
            log("final attempts by node: %s", deliveredBy);
            assertThat(deliveredBy.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(expected.size());
            assertThat(deliveredBy).as("both nodes take work from the shared queue").containsKeys("node-a", "node-b");
        }
    }

    @Test
    void whenANodeIsKilledMidWayTheOtherDeliversTheRestAndNothingIsLost(EmbeddedCassandra cassandra) throws Exception {
        long started = System.nanoTime();
        int threadsPerNode = 6;
        // a second before each DATA reply: delivery is still under way when the node dies
        startRig(cassandra, "two_nodes_takeover");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.two.test", List.of("-w", "1")));
        startNodes(threadsPerNode);
        Map<String, Integer> expected = submitAll();
        log("submitted %d messages (%d recipients) in %d s", MESSAGES, expected.size(), seconds(started));

        try (QueueState queue = new QueueState(cassandra, "two_nodes_takeover")) {
            // this test is about delivery taking over: kill once all is queued (a kill during intake: IntakeUnderLoadIT)
            awaitCondition(Duration.ofMinutes(2), () -> queue.allRecipients().size() == expected.size(),
                () -> "queued recipients: " + queue.allRecipients().size() + " of " + expected.size());
            awaitCondition(DELIVERY_TIMEOUT, () -> tally(sink.messages()).size() >= expected.size() / 3,
                () -> "delivered: " + tallyQuietly().size() + " of " + expected.size());
            int deliveredBeforeKill = tally(sink.messages()).size();
            assertThat(deliveredBeforeKill).as("delivery is still under way when the node is killed")
                .isLessThan(expected.size() * 2 / 3);

            DispatchNode victim = nodes.get(0);
            victim.kill();
            long killedAt = System.nanoTime();
            log("killed node-a with %d of %d recipients delivered, %d s after start", deliveredBeforeKill,
                expected.size(), seconds(started));

            Map<String, Integer> received = awaitDelivered(expected.keySet());
            log("all delivered %d s after the kill", seconds(killedAt));
            assertThat(missing(expected.keySet(), received)).as("lost").isEmpty();
            assertThat(received.keySet()).as("delivered but never submitted").isEqualTo(expected.keySet());
            Map<String, Integer> duplicates = duplicates(received);
            log("delivered twice (in flight on the killed node): %d %s", duplicates.size(), duplicates.keySet());
            assertThat(duplicates.values()).as("a recipient is repeated at most once").allMatch(count -> count == 2);
            assertThat(duplicates.size()).as("only what the killed node had in flight is repeated: " + duplicates)
                .isLessThanOrEqualTo(threadsPerNode);

            awaitCondition(Duration.ofSeconds(60), () -> queue.allRecipients().stream()
                    .allMatch(record -> record.state() == RecipientState.DELIVERED),
                () -> "recipient states: " + queue.allRecipients().stream()
                    .collect(Collectors.groupingBy(record -> record.state().name(), TreeMap::new,
                        Collectors.counting())));
            Map<String, Long> deliveredBy = deliveredByNode(queue);
            log("final attempts by node: %s", deliveredBy);
            assertThat(deliveredBy.getOrDefault("node-b", 0L)).as("the surviving node delivered the rest")
                .isGreaterThanOrEqualTo(expected.size() - deliveredBeforeKill);
        }
    }

    private void startRig(EmbeddedCassandra cassandra, String keyspace) throws Exception {
        rig = new DeliveryRig(cassandra, keyspace);
        rig.dns(List.of("--mx-host=two.test,mx.two.test,10", "--mx-host=other.test,mx.two.test,10",
            "--host-record=mx.two.test," + MX_ADDRESS));
    }

    /** Both nodes on the rig, started in parallel. */
    private void startNodes(int threads) throws Exception {
        ExecutorService starter = Executors.newFixedThreadPool(2);
        try {
            List<Future<DispatchNode>> starting = new ArrayList<>();
            for (String id : List.of("node-a", "node-b")) {
                Map<String, String> properties = new HashMap<>();
                properties.put("node.id", id);
                properties.put("delivery.heloName", id + ".dispatch.test");
                properties.put("delivery.threads", String.valueOf(threads));
                properties.put("queue.pollInterval", "200ms");
                properties.put("queue.claimDuration", "1m");
                properties.put("retry.schedule", "10s");
                properties.put("submission.maxMessagesPerHour", "0");
                properties.put("submission.maxRecipientsPerHour", "0");
                starting.add(starter.submit(() -> rig.node(properties)));
            }
            for (Future<DispatchNode> node : starting) {
                nodes.add(node.get(5, TimeUnit.MINUTES));
            }
        } finally {
            starter.shutdownNow();
        }
        for (DispatchNode node : nodes) {
            // James's domain list and users are per node (memory); the queue is shared
            node.admin("add-domain", "example.com");
            node.adminWithInput(PASSWORD + "\n", "add-user", USER);
        }
    }

    /** Submits every message over SUBMITTERS parallel sessions spread over both nodes; returns "message-id recipient" keys. */
    private Map<String, Integer> submitAll() throws Exception {
        String run = UUID.randomUUID().toString();
        ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
        Map<String, Integer> expected = new LinkedHashMap<>();
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int s = 0; s < SUBMITTERS; s++) {
                int submitter = s;
                int port = nodes.get(s % nodes.size()).port(587);
                done.add(submitters.submit((Callable<Void>) () -> {
                    try (SubmissionSession session = SubmissionSession.open(port, USER, PASSWORD)) {
                        for (int n = submitter; n < MESSAGES; n += SUBMITTERS) {
                            String reply = session.send(USER, recipients(n), message(run, n));
                            if (!reply.startsWith("250")) {
                                throw new IOException("message " + n + " refused: " + reply);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<Void> submitter : done) {
                submitter.get(10, TimeUnit.MINUTES);
            }
        } finally {
            submitters.shutdownNow();
        }
        for (int n = 0; n < MESSAGES; n++) {
            for (String recipient : recipients(n)) {
                expected.put(messageId(run, n) + " " + recipient, 1);
            }
        }
        return expected;
    }

    /** One recipient mostly; two on the same domain for every tenth; three over two domains for another tenth. */
    private static List<String> recipients(int n) {
        if (n % 10 == 0) {
            return List.of("r" + n + "a@two.test", "r" + n + "b@two.test", "r" + n + "c@other.test");
        }
        if (n % 10 == 1) {
            return List.of("r" + n + "a@two.test", "r" + n + "b@two.test");
        }
        return List.of("r" + n + "@two.test");
    }

    private static String messageId(String run, int n) {
        return "<" + n + "." + run + "@example.com>";
    }

    private static String message(String run, int n) {
        return "From: Alice <" + USER + ">\r\n"
            + "To: " + String.join(", ", recipients(n)) + "\r\n"
            + "Subject: two nodes, message " + n + " of run " + run + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: " + messageId(run, n) + "\r\n"
            + "\r\n"
            + "Message " + n + ".\r\n"
            + "end of message " + n + "\r\n";
    }

    /** Waits until every expected key was received at least once; fails with what is missing and the nodes' logs. */
    private Map<String, Integer> awaitDelivered(Set<String> expected) throws Exception {
        awaitCondition(DELIVERY_TIMEOUT, () -> tally(sink.messages()).keySet().containsAll(expected),
            () -> {
                Map<String, Integer> received = tallyQuietly();
                Set<String> missing = missing(expected, received);
                return missing.size() + " of " + expected.size() + " not delivered, e.g. "
                    + missing.stream().limit(5).collect(Collectors.toList()) + "\n" + nodeLogs();
            });
        return tally(sink.messages());
    }

    /**
     * "message-id recipient" to how many times the sink received it, counting only whole messages
     * (a transaction cut short has no end line).
     */
    static Map<String, Integer> tally(List<String> dumps) {
        Map<String, Integer> counts = new HashMap<>();
        for (String dump : dumps) {
            Matcher id = MESSAGE_ID.matcher(dump);
            if (!id.find() || !END.matcher(dump).find()) {
                continue;
            }
            Matcher rcpt = RCPT.matcher(dump);
            while (rcpt.find()) {
                counts.merge(id.group(1) + " " + rcpt.group(1).toLowerCase(Locale.ROOT), 1, Integer::sum);
            }
        }
        return counts;
    }

    private Map<String, Integer> tallyQuietly() {
        try {
            return tally(sink.messages());
        } catch (IOException e) {
            return Map.of();
        }
    }

    private static Set<String> missing(Set<String> expected, Map<String, Integer> received) {
        Set<String> missing = new LinkedHashSet<>(expected);
        missing.removeAll(received.keySet());
        return missing;
    }

    private static Map<String, Integer> duplicates(Map<String, Integer> received) {
        return received.entrySet().stream().filter(entry -> entry.getValue() > 1)
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    /** Which node made the final (delivering) attempt of each recipient. */
    private static Map<String, Long> deliveredByNode(QueueState queue) {
        Map<String, Long> byNode = new TreeMap<>();
        for (RecipientRecord record : queue.allRecipients()) {
            List<AttemptHistoryEntry> attempts = queue.attempts(record);
            if (!attempts.isEmpty()) {
                AttemptHistoryEntry last = attempts.get(attempts.size() - 1);
                if ("DELIVERED".equals(last.decision())) {
                    byNode.merge(last.node(), 1L, Long::sum);
                }
            }
        }
        return byNode;
    }

    private String nodeLogs() {
        StringBuilder text = new StringBuilder();
        for (DispatchNode node : nodes) {
            text.append("--- launcher output:\n").append(tail(node.output()));
            try {
                text.append("--- james.log:\n").append(tail(Files.readString(node.jamesLog())));
            } catch (IOException e) {
                text.append("(no james.log: ").append(e.getMessage()).append(")\n");
            }
        }
        return text.toString();
    }

    private static String tail(String text) {
        return text.length() <= 6000 ? text : text.substring(text.length() - 6000);
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private interface Describe {
        String what() throws Exception;
    }

    private static void awaitCondition(Duration timeout, Check check, Describe describe) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not reached within " + timeout.toSeconds() + " s: " + describe.what());
            }
            Thread.sleep(500);
        }
    }

    private static long seconds(long since) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - since);
    }

    private static void log(String format, Object... arguments) {
        System.out.printf("[TwoNodeQueueIT] " + format + "%n", arguments);
    }
}
