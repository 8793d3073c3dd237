package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.datastax.oss.driver.api.core.CqlSession;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dispatch on a real three-node Cassandra ring (127.0.0.1, .2 and .3; replication factor 3, LOCAL_QUORUM):
 * one Cassandra node is killed (SIGKILL) while mail is being submitted and delivered. Submission goes on, and
 * every message answered 250 reaches the receiver.
 */
class CassandraClusterIT {
    private static final String MX_ADDRESS = "127.0.0.61";
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "cluster horse battery";
    private static final int MESSAGES = 240;
    private static final int SUBMITTERS = 3;
    private static final Pattern MESSAGE_ID = Pattern.compile("(?mi)^Message-ID: (<[^>]+>)");
    /** One token each, a third of the Murmur3 range apart. */
    private static final List<String> TOKENS = List.of("-9223372036854775808", "-3074457345618258603",
        "3074457345618258602");

    private static final List<EmbeddedCassandra> ring = new ArrayList<>();
    private static DnsmasqServer dns;
    private static SmtpSink sink;
    private static DispatchNode node;

    @BeforeAll
    static void start() throws Exception {
        int storagePort = portFreeOnEveryNode();
        int nativePort = portFreeOnEveryNode();
        ring.add(startNode(1, storagePort, nativePort));
        // the other two join the seed together, once it listens
        ExecutorService starter = Executors.newFixedThreadPool(2);
        try {
            List<Future<EmbeddedCassandra>> joining = new ArrayList<>();
            for (int n = 2; n <= 3; n++) {
                int index = n;
                joining.add(starter.submit(() -> startNode(index, storagePort, nativePort)));
            }
            for (Future<EmbeddedCassandra> joined : joining) {
                ring.add(joined.get(5, TimeUnit.MINUTES));
            }
        } finally {
            starter.shutdownNow();
        }
        awaitRingFormed();
        dns = DnsmasqServer.start(List.of("--mx-host=ring.test,mx.ring.test,10", "--host-record=mx.ring.test," + MX_ADDRESS));
        sink = SmtpSink.start(MX_ADDRESS, FreePorts.pick(), "mx.ring.test");
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", ring.stream().map(EmbeddedCassandra::contactPoint).collect(Collectors.joining(",")),
            "cassandra.keyspace", "ring_it",
            "cassandra.replicationFactor", "3",
            "cassandra.consistency", "LOCAL_QUORUM",
            "cassandra.requestTimeout", "5s",
            "dns.servers", dns.address(),
            "delivery.remotePort", String.valueOf(sink.port()),
            "queue.pollInterval", "200ms",
            "submission.maxMessagesPerHour", "0",
            "submission.maxRecipientsPerHour", "0"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", USER);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {node, sink, dns}) {
            if (part != null) {
                part.close();
            }
        }
        for (EmbeddedCassandra cassandra : ring) {
            cassandra.kill();
            cassandra.close();
        }
    }

    /**
     * A node answers CQL before gossip has told it about the others; Dispatch's schema set-up at QUORUM needs all
     * three, so wait until every node lists the other two as peers in state NORMAL (bounded, two minutes).
     */
    private static void awaitRingFormed() {
        await("every node sees two NORMAL peers").atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1))
            .ignoreExceptions()
            .until(() -> ring.stream().allMatch(CassandraClusterIT::seesTwoNormalPeers));
    }

    private static boolean seesTwoNormalPeers(EmbeddedCassandra cassandra) {
        try (CqlSession session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(cassandra.address(), cassandra.nativePort()))
            .withLocalDatacenter(cassandra.localDatacenter())
            .build()) {
            long normal = session.execute("SELECT peer, host_id, tokens FROM system.peers_v2").all().stream()
                .filter(row -> row.getUuid("host_id") != null && !row.getSet("tokens", String.class).isEmpty())
                .count();
            return normal == 2;
        }
    }

    private static EmbeddedCassandra startNode(int index, int storagePort, int nativePort) throws Exception {
        Path base = Files.createTempDirectory("dispatch-ring-" + index + "-");
        return EmbeddedCassandra.start(EmbeddedCassandra.Settings.builder()
            .libDir(Paths.get(System.getProperty(CassandraExtension.LIB_PROPERTY)))
            .baseDir(base)
            .address("127.0.0." + index)
            .storagePort(storagePort)
            .nativePort(nativePort)
            .seeds("127.0.0.1:" + storagePort)
            .initialToken(TOKENS.get(index - 1))
            .clusterName("dispatch-ring")
            .heap("512M")
            .deleteOnClose(true)
            .build());
    }

    /** Every node of the ring listens on its own address with the same ports. */
    private static int portFreeOnEveryNode() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = FreePorts.pick();
            if (freeOn("127.0.0.2", port) && freeOn("127.0.0.3", port)) {
                return port;
            }
        }
        throw new IOException("no port free on 127.0.0.1, .2 and .3");
    }

    private static boolean freeOn(String address, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void whenOneCassandraNodeDiesSubmissionGoesOnAndEveryAcceptedMessageIsDelivered() throws Exception {
        String run = UUID.randomUUID().toString();
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger acceptedAfterKill = new AtomicInteger();
        ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
        EmbeddedCassandra victim = ring.get(2);
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int s = 0; s < SUBMITTERS; s++) {
                int first = s;
                done.add(submitters.submit((Callable<Void>) () -> {
                    try (SubmissionSession session = SubmissionSession.open(node.port(587), USER, PASSWORD)) {
                        for (int n = first; n < MESSAGES; n += SUBMITTERS) {
                            String id = "<" + n + "." + run + "@example.com>";
                            String reply;
                            try {
                                reply = session.send(USER, List.of("r" + n + "@ring.test"), message(id, n));
                            } catch (IOException refusedEnvelope) {
                                reply = refusedEnvelope.getMessage();
                            }
                            if (reply.startsWith("250")) {
                                accepted.add(id);
                                if (!victim.isAlive()) {
                                    acceptedAfterKill.incrementAndGet();
                                }
                            } else {
                                // a 4xx (to MAIL, RCPT or the data) keeps the message with the client: not accepted,
                                // not lost; "refused" replies come inside the client's exception text
                                assertThat(reply).as("message %d", n).containsPattern("(^|: )4\\d\\d ");
                                refused.add(id);
                            }
                            if (answered.incrementAndGet() == MESSAGES / 3) {
                                victim.kill();
                                log("killed Cassandra node %s after %d answers", victim.address(), MESSAGES / 3);
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
        log("accepted %d (%d after the kill), refused with 4xx %d", accepted.size(), acceptedAfterKill.get(), refused.size());
        assertThat(victim.isAlive()).isFalse();
        assertThat(acceptedAfterKill.get()).as("submission goes on with two of three nodes")
            .isGreaterThanOrEqualTo(MESSAGES / 2);

        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
            .until(() -> received().containsAll(accepted));
        assertThat(received()).as("nothing delivered that was not accepted, or refused and kept by the client")
            .isSubsetOf(union(accepted, refused));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = ConcurrentHashMap.newKeySet();
        all.addAll(a);
        all.addAll(b);
        return all;
    }

    private static Set<String> received() throws IOException {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        for (String dump : sink.messages()) {
            Matcher id = MESSAGE_ID.matcher(dump);
            if (id.find()) {
                ids.add(id.group(1));
            }
        }
        return ids;
    }

    private static String message(String id, int n) {
        return "From: Alice <" + USER + ">\r\nTo: r" + n + "@ring.test\r\nSubject: ring " + n + "\r\n"
            + "Message-ID: " + id + "\r\n\r\nMessage " + n + " on a three-node ring.\r\n";
    }

    private static void log(String format, Object... arguments) {
        System.out.printf("[ring] " + format + "%n", arguments);
    }
}
