package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

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
 * The relay benchmark's failure case as a test: two nodes on one Cassandra, 2,000 small messages
 * submitted half through each, and one node SIGKILLed while submissions are still coming in (40 % of
 * them answered). Every message answered 250 reaches the receiver, found by its Message-ID; the only
 * repeats are deliveries the killed node had in flight.
 */
@ExtendWith(CassandraExtension.class)
class IntakeUnderLoadIT {
    private static final String MX_ADDRESS = "127.0.0.52";
    private static final int MESSAGES = 2000;
    private static final int SUBMITTERS = 4;
    private static final int DELIVERY_THREADS = 6;
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "intake under load";
    private static final Duration TIMEOUT = Duration.ofMinutes(8);

    private final List<DispatchNode> nodes = new ArrayList<>();
    private DeliveryRig rig;

    @AfterEach
    void stop() throws Exception {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void everyMessageAnswered250ArrivesWhenANodeIsKilledMidRun(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, "intake_load");
        SmtpSink sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.load.test"));
        rig.dns(List.of("--mx-host=load.test,mx.load.test,10", "--host-record=mx.load.test," + MX_ADDRESS));
        for (String id : List.of("node-a", "node-b")) {
            Map<String, String> properties = new HashMap<>();
            properties.put("node.id", id);
            properties.put("delivery.threads", String.valueOf(DELIVERY_THREADS));
            properties.put("queue.pollInterval", "200ms");
            properties.put("queue.leaseTime", "6s");
            properties.put("queue.claimDuration", "1m");
            properties.put("intake.takeoverInterval", "1s");
            properties.put("submission.maxMessagesPerHour", "0");
            properties.put("submission.maxRecipientsPerHour", "0");
            DispatchNode node = rig.node(properties);
            node.admin("add-domain", "example.com");
            node.adminWithInput(PASSWORD + "\n", "add-user", USER);
            nodes.add(node);
        }
        DispatchNode victim = nodes.get(0);
        DispatchNode survivor = nodes.get(1);

        String run = UUID.randomUUID().toString();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger answered = new AtomicInteger();
        ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
        List<Future<Void>> done = new ArrayList<>();
        for (int s = 0; s < SUBMITTERS; s++) {
            int submitter = s;
            int port = nodes.get(s % nodes.size()).port(587);
            done.add(submitters.submit((Callable<Void>) () -> {
                try (SubmissionSession session = SubmissionSession.open(port, USER, PASSWORD)) {
                    for (int n = submitter; n < MESSAGES; n += SUBMITTERS) {
                        if (session.send(USER, List.of("r" + n + "@load.test"), message(run, n)).startsWith("250")) {
                            accepted.add(messageId(run, n) + " r" + n + "@load.test");
                            answered.incrementAndGet();
                        }
                    }
                } catch (IOException e) {
                    // the node this session talked to was killed: its later messages were never accepted
                }
                return null;
            }));
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (answered.get() < MESSAGES * 2 / 5 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(answered.get()).as("submissions under way").isGreaterThanOrEqualTo(MESSAGES * 2 / 5);
        victim.kill();
        int answeredAtKill = answered.get();
        for (Future<Void> submitter : done) {
            submitter.get(TIMEOUT.toMinutes(), TimeUnit.MINUTES);
        }
        submitters.shutdownNow();
        log("killed node-a with %d of %d messages answered 250; %d answered in all", answeredAtKill, MESSAGES,
            accepted.size());
        assertThat(accepted.size()).as("the surviving node's sessions went on").isGreaterThan(answeredAtKill);

        Map<String, Integer> received = Map.of();
        while (System.nanoTime() < deadline) {
            received = TwoNodeQueueIT.tally(sink.messages());
            if (received.keySet().containsAll(accepted)) {
                break;
            }
            Thread.sleep(1000);
        }
        Map<String, Integer> finalCounts = received;
        Set<String> missing = accepted.stream().filter(key -> !finalCounts.containsKey(key)).collect(Collectors.toSet());
        assertThat(missing).as("answered 250 but never delivered").isEmpty();
        Map<String, Integer> repeated = accepted.stream().filter(key -> finalCounts.get(key) > 1)
            .collect(Collectors.toMap(key -> key, finalCounts::get));
        long reinjected = Files.readAllLines(survivor.jamesLog()).stream()
            .filter(line -> line.contains("re-injected mail=")).count();
        log("delivered: %d; re-injected by node-b: %d; delivered twice: %d %s", accepted.size(), reinjected,
            repeated.size(), repeated.keySet());
        assertThat(repeated.values()).as("a message is repeated at most once").allMatch(count -> count == 2);
        assertThat(repeated.size()).as("only deliveries in flight on the killed node are repeated")
            .isLessThanOrEqualTo(DELIVERY_THREADS);
        try (QueueState state = new QueueState(cassandra, "intake_load")) {
            long deadlineJournal = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!state.intakeEntries().isEmpty() && System.nanoTime() < deadlineJournal) {
                Thread.sleep(500);
            }
            assertThat(state.intakeEntries()).as("every accepted mail left the journal").isEmpty();
        }
    }

    private static String messageId(String run, int n) {
        return "<" + n + "." + run + "@example.com>";
    }

    private static String message(String run, int n) {
        return "From: Alice <" + USER + ">\r\nTo: r" + n + "@load.test\r\nSubject: load, message " + n + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: " + messageId(run, n) + "\r\n\r\nMessage " + n + ".\r\nend of message " + n + "\r\n";
    }

    private static void log(String format, Object... args) {
        System.out.println("[IntakeUnderLoadIT] " + String.format(format, args));
    }
}
