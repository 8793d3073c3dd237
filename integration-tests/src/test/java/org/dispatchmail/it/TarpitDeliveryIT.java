package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.MisbehavingPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A tarpit as first MX: it holds its greeting far longer than a claim lasts. Two nodes share the queue with
 * claims of 10 s and a transaction deadline of 6 s; the second MX is a real receiver that takes 5 s to answer
 * the end of the data. Each attempt leaves the tarpit at its deadline and delivers to the second MX about 11 s
 * after its claim: past the first claim, so only renewal keeps another attempt (from either node) from taking
 * the recipient over and delivering it again. Every message arrives exactly once.
 */
@ExtendWith(CassandraExtension.class)
class TarpitDeliveryIT {
    private static final String TARPIT_ADDRESS = "127.0.0.61";
    private static final String RECEIVER_ADDRESS = "127.0.0.62";
    private static final String KEYSPACE = "tarpit";
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "correct horse battery";
    private static final int MESSAGES = 4;
    private static final Duration CLAIM = Duration.ofSeconds(10);
    private static final Duration DEADLINE = Duration.ofSeconds(6);
    private static final int RECEIVER_STALL_SECONDS = 5;

    private DeliveryRig rig;
    private final List<DispatchNode> nodes = new ArrayList<>();
    private SmtpSink tarpit;
    private SmtpSink receiver;

    @AfterEach
    void stopPeers() throws Exception {
        if (rig != null) {
            rig.close();
        }
    }

    @Test
    void aTarpitSlowerThanAClaimNeverMakesAMessageArriveTwice(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        // two minutes before the greeting: twelve claims long
        tarpit = rig.peer(MisbehavingPeer.stallsAt(TARPIT_ADDRESS, rig.remotePort(), "CONNECT", 120));
        receiver = rig.peer(MisbehavingPeer.stallsAt(RECEIVER_ADDRESS, rig.remotePort(), ".", RECEIVER_STALL_SECONDS));
        rig.dns(List.of("--mx-host=tarpit.test,mx1.tarpit.test,10",
            "--mx-host=tarpit.test,mx2.tarpit.test,20", "--host-record=mx1.tarpit.test," + TARPIT_ADDRESS,
            "--host-record=mx2.tarpit.test," + RECEIVER_ADDRESS));
        startNodes();

        String run = UUID.randomUUID().toString();
        List<String> recipients = new ArrayList<>();
        for (int n = 0; n < MESSAGES; n++) {
            recipients.add("r" + n + "-" + run.substring(0, 8) + "@tarpit.test");
        }
        for (int n = 0; n < MESSAGES; n++) {
            try (SubmissionSession session = SubmissionSession.open(nodes.get(n % 2).port(587), USER, PASSWORD)) {
                String reply = session.send(USER, List.of(recipients.get(n)), message(run, n, recipients.get(n)));
                assertThat(reply).startsWith("250");
            }
        }

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            for (String recipient : recipients) {
                RecipientRecord record = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                    Duration.ofMinutes(3));
                List<AttemptHistoryEntry> attempts = queue.attempts(record);
                assertThat(attempts).as("one attempt: the tarpit at its deadline, then the receiver")
                    .singleElement().satisfies(attempt -> {
                        assertThat(attempt.decision()).isEqualTo("DELIVERED");
                        assertThat(attempt.host()).hasValue("mx2.tarpit.test");
                    });
            }
            // A second attempt could only start once a claim ran out (10 s after its last renewal) and would reach
            // the receiver a deadline plus its stall later: watch for that long that nothing arrives again.
            long watchUntil = System.nanoTime() + CLAIM.plus(DEADLINE).plusSeconds(RECEIVER_STALL_SECONDS + 4)
                .toNanos();
            do {
                Map<String, Integer> received = TwoNodeQueueIT.tally(receiver.messages());
                assertThat(received).as("each message exactly once at the receiver").hasSize(MESSAGES)
                    .allSatisfy((key, count) -> assertThat(count).as(key).isEqualTo(1));
                assertThat(TwoNodeQueueIT.tally(tarpit.messages())).as("the tarpit never got as far as the data")
                    .isEmpty();
                Thread.sleep(500);
            } while (System.nanoTime() < watchUntil);
            for (String recipient : recipients) {
                assertThat(queue.attempts(queue.recipients(recipient).get(0))).hasSize(1);
            }
        }
    }

    /** One after the other: the first migrates the schema, so the second starts quickly on a busy machine. */
    private void startNodes() throws Exception {
        for (String id : List.of("node-a", "node-b")) {
            Map<String, String> properties = new HashMap<>();
            properties.put("node.id", id);
            properties.put("delivery.heloName", id + ".dispatch.test");
            properties.put("queue.pollInterval", "200ms");
            properties.put("queue.claimDuration", CLAIM.toSeconds() + "s");
            properties.put("delivery.transactionTimeout", DEADLINE.toSeconds() + "s");
            properties.put("retry.schedule", "10s");
            properties.put("submission.maxMessagesPerHour", "0");
            properties.put("submission.maxRecipientsPerHour", "0");
            nodes.add(rig.node(properties));
        }
        for (DispatchNode node : nodes) {
            node.admin("add-domain", "example.com");
            node.adminWithInput(PASSWORD + "\n", "add-user", USER);
        }
    }

    private static String message(String run, int n, String recipient) throws IOException {
        return "From: Alice <" + USER + ">\r\n"
            + "To: " + recipient + "\r\n"
            + "Subject: tarpit, message " + n + "\r\n"
            + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
            + "Message-ID: <" + n + "." + run + "@example.com>\r\n"
            + "\r\n"
            + "Message " + n + ".\r\n"
            + "end of message " + n + "\r\n";
    }
}
