package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.dispatchmail.it.support.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node is killed (SIGKILL, no shutdown hook) right after it answered 250: the mail it had accepted
 * is in the intake journal, and the surviving node processes it again and delivers it, once. Node A
 * reaches Cassandra through a proxy that adds a fixed latency, so that after the 250 its hand-over to
 * the queue is certainly still under way when it dies.
 */
@ExtendWith(CassandraExtension.class)
class NodeDeathIntakeIT {
    private static final String KEYSPACE = "intake_death";
    private static final String MX_ADDRESS = "127.0.0.61";
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "intake death pass";
    private static final Duration LATENCY = Duration.ofSeconds(1);

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DispatchNode survivor;
    private static QueueState state;
    private TcpProxy proxy;
    private DispatchNode victim;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.death.test"));
        rig.dns(List.of("--mx-host=death.test,mx.death.test,10", "--host-record=mx.death.test," + MX_ADDRESS));
        survivor = node(Map.of());
        state = rig.peer(new QueueState(cassandra, KEYSPACE));
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @AfterEach
    void stopVictim() throws Exception {
        if (victim != null) {
            victim.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    /** A node on the rig, with {@code overrides} on top of what both nodes share. */
    private static DispatchNode node(Map<String, String> overrides) throws Exception {
        Map<String, String> properties = new HashMap<>();
        properties.put("cassandra.requestTimeout", "8s");
        // few shards: a lease round of the slowed node (heartbeat, reads, a renewal per shard, each a second
        // late) ends well within the heartbeat's 15 s, so it is never taken for dead while alive
        properties.put("queue.shards", "2");
        properties.put("queue.leaseTime", "15s");
        properties.put("intake.takeoverInterval", "1s");
        properties.putAll(overrides);
        DispatchNode node = rig.node(properties);
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", USER);
        return node;
    }

    private void startVictim(EmbeddedCassandra cassandra) throws Exception {
        proxy = new TcpProxy(cassandra.address(), cassandra.nativePort(), FreePorts.pick());
        // closed after each test (closing it again with the rig does nothing)
        victim = node(Map.of("cassandra.contactPoints", "127.0.0.1:" + proxy.port()));
    }

    /** The victim's only journal entry ("writer mail_name"), once its 250 was given. */
    private static String[] journaled() {
        List<String> entries = state.intakeEntries();
        assertThat(entries).as("the accepted mail is in the journal").hasSize(1);
        return entries.get(0).split(" ", 2);
    }

    private void killVictim() throws Exception {
        victim.kill();
        // what the dead node had on the wire never arrives
        proxy.cut();
    }

    @Test
    void mailAcceptedByANodeThatDiesBeforeQueueingItIsDeliveredByTheOther(EmbeddedCassandra cassandra) throws Exception {
        startVictim(cassandra);
        String messageId = "<" + UUID.randomUUID() + "@example.com>";
        // the session dies with the node: it is never closed
        SubmissionSession session = SubmissionSession.open(victim.port(587), USER, PASSWORD);
        proxy.latency(LATENCY);
        assertThat(session.send(USER, List.of("bob@death.test"), message(messageId))).startsWith("250");
        killVictim();
        String[] entry = journaled();
        assertThat(state.queued(entry[1])).as("the node died before queueing it").isFalse();

        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .until(() -> sink.messagesWith(messageId).size() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> state.intakeEntries().isEmpty());
        assertThat(survivor.jamesLog()).content().contains("re-injected mail=" + entry[1]);
        RecipientRecord recipient = state.awaitRecipient("bob@death.test", r -> r.state() == RecipientState.DELIVERED,
            Duration.ofSeconds(30));
        assertThat(state.attempts(recipient)).hasSize(1);
        assertThat(sink.messagesWith(messageId)).hasSize(1);
    }

    @Test
    void aMailReinjectedAfterItWasQueuedIsDeliveredOnce(EmbeddedCassandra cassandra) throws Exception {
        startVictim(cassandra);
        String messageId = "<" + UUID.randomUUID() + "@example.com>";
        SubmissionSession session = SubmissionSession.open(victim.port(587), USER, PASSWORD);
        proxy.latency(LATENCY);
        assertThat(session.send(USER, List.of("carol@death.test"), message(messageId))).startsWith("250");
        String[] entry = journaled();
        // queued, recipients included; the journal's clean-up is still on the wire: die now
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
            .until(() -> !state.recipients("carol@death.test").isEmpty());
        killVictim();
        assertThat(state.intakeEntries()).as("the journal still had it when the node died").hasSize(1);

        // the survivor processes it again under its name: the queue knows it, nothing is queued twice
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
            .until(() -> state.intakeEntries().isEmpty());
        assertThat(survivor.jamesLog()).content().contains("re-injected mail=" + entry[1]);
        RecipientRecord recipient = state.awaitRecipient("carol@death.test", r -> r.state() == RecipientState.DELIVERED,
            Duration.ofSeconds(60));
        assertThat(state.attempts(recipient)).hasSize(1);
        assertThat(sink.messagesWith(messageId)).hasSize(1);
    }

    private static String message(String messageId) {
        return "From: " + USER + "\r\nTo: someone@death.test\r\nSubject: accepted, then the node died\r\n"
            + "Message-ID: " + messageId + "\r\n\r\nA 250 is a promise.\r\n";
    }
}
