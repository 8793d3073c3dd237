package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.PostfixPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.cql.Row;

/**
 * Greylisting end to end: the MX of grey.test is a real Postfix with postgrey (every new triplet of
 * client address, sender and recipient deferred for {@link #DELAY}), relaying to a sink. Dispatch runs
 * with the shipped greylisting settings (probes at 35 s, 65 s... after the first deferral, hint margin
 * 10 s, jitter up to 10% and at most 15 s).
 */
@ExtendWith(CassandraExtension.class)
class GreylistingDeliveryIT {
    private static final String KEYSPACE = "e2e_greylisting";
    private static final String LOGIN = "alice@example.com";
    private static final String PASSWORD = "greylist-pass-1-long";
    private static final String POSTFIX_ADDRESS = "127.0.0.100";
    private static final String SINK_ADDRESS = "127.0.0.101";
    private static final String POSTGREY_ADDRESS = "127.0.0.102";
    /** postgrey's delay: shorter than the first probe (35 s), so the first probe passes. */
    private static final Duration DELAY = Duration.ofSeconds(20);
    private static final Duration FIRST_PROBE = Duration.ofSeconds(35);
    private static final Duration HINT_MARGIN = Duration.ofSeconds(10);
    /** retry.greylist.jitter (10%) of a delay, at most retry.greylist.maxJitter (15 s). */
    private static final double JITTER = 0.10;
    private static final Duration MAX_JITTER = Duration.ofSeconds(15);

    private static SmtpSink sink;
    private static PostfixPeer postfix;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        int mxPort = FreePorts.pick();
        sink = SmtpSink.start(SINK_ADDRESS, FreePorts.pick(), "final.grey.test");
        postfix = PostfixPeer.builder(POSTFIX_ADDRESS, mxPort).hostName("mx.grey.test").acceptDomains("grey.test")
            .relayTo(sink.address(), sink.port()).greylisting(POSTGREY_ADDRESS, FreePorts.pick(), DELAY).start();
        dns = DnsmasqServer.start(List.of("--mx-host=grey.test,mx.grey.test,10",
            "--host-record=mx.grey.test," + POSTFIX_ADDRESS));
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", KEYSPACE,
            "dns.servers", dns.address(),
            "delivery.remotePort", String.valueOf(mxPort),
            "delivery.heloName", "dispatch.example.com",
            "queue.pollInterval", "200ms"));
        node.admin("add-domain", "example.com");
        node.admin("add-user", LOGIN, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable part : new AutoCloseable[] {node, dns, postfix, sink}) {
            if (part != null) {
                part.close();
            }
        }
    }

    @Test
    void greylistedMailIsDeliveredAtTheFirstProbeAndTheLearnedWindowTimesTheNextNewTriplet(EmbeddedCassandra cassandra)
        throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String bob = "bob-" + run + "@grey.test";
        String carol = "carol-" + run + "@grey.test";
        String firstToken = UUID.randomUUID().toString();
        submit(List.of(bob, carol), firstToken);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            // the first attempt: both recipients greylisted in one transaction
            Row firstDeferral = queue.awaitRecipient(bob, row -> row.getInt("attempts") >= 1, Duration.ofSeconds(60));
            assertThat(firstDeferral.getString("state")).as(postfix.describe()).isEqualTo("DEFERRED");
            assertThat(firstDeferral.getInt("greylist_attempts")).isEqualTo(1);
            assertThat(firstDeferral.getInstant("first_greylisted_at")).isNotNull();

            Duration patience = DELAY.plusSeconds(60);
            List<Row> bobAttempts = null;
            Instant firstGreylisted = null;
            for (String recipient : List.of(bob, carol)) {
                Row delivered = queue.awaitRecipient(recipient, row -> "DELIVERED".equals(row.getString("state")),
                    patience.plusSeconds(30));
                List<Row> attempts = queue.attempts(delivered);
                Row first = attempts.get(0);
                assertThat(first.getString("stage")).isEqualTo("rcpt");
                assertThat(first.getInt("reply_code")).isEqualTo(450);
                assertThat(first.getString("enhanced_code")).isEqualTo("4.2.0");
                assertThat(first.getString("reply_text")).contains("Greylisted");
                assertThat(first.getString("decision")).isEqualTo("DEFERRED");
                // the retry was planned for the first probe, 35 s after the first deferral (plus jitter)
                Duration planned = Duration.between(first.getInstant("attempted_at"), first.getInstant("next_attempt_at"));
                assertThat(planned).isBetween(FIRST_PROBE, FIRST_PROBE.plus(jitterOf(FIRST_PROBE)));
                // postgrey's delay (20 s) is shorter than the first probe, so that probe passes: two attempts.
                // Any more would mean a probe came before postgrey's delay was over, which the schedule rules out.
                assertThat(attempts).as("attempts of %s", recipient).hasSize(2);
                Row last = attempts.get(1);
                assertThat(last.getInt("reply_code")).isEqualTo(250);
                assertThat(last.getString("decision")).isEqualTo("DELIVERED");
                assertThat(last.getInstant("attempted_at")).isAfterOrEqualTo(first.getInstant("next_attempt_at"));
                assertThat(Duration.between(first.getInstant("attempted_at"), last.getInstant("attempted_at")))
                    .isGreaterThanOrEqualTo(DELAY).isLessThanOrEqualTo(patience);
                assertThat(delivered.getInt("attempts")).isEqualTo(2);
                assertThat(delivered.getInt("greylist_attempts")).isEqualTo(1);
                if (recipient.equals(bob)) {
                    bobAttempts = attempts;
                    firstGreylisted = delivered.getInstant("first_greylisted_at");
                }
            }
            // each recipient relayed once. Not necessarily in one transaction: each recipient's retry gets its
            // own jitter, so the two probes usually fall a little apart and go out separately.
            List<String> relayed = awaitMessages(firstToken, bob, carol);
            assertThat(relayed).filteredOn(message -> message.contains("X-Rcpt-Args: <" + bob + ">")).hasSize(1);
            assertThat(relayed).filteredOn(message -> message.contains("X-Rcpt-Args: <" + carol + ">")).hasSize(1);
            assertThat(awaitDecisions(bob, 2)).containsExactly("greylist", "pass");

            // the window learned for grey.test: still refused at the first deferral (lower bound), accepted
            // at the probe (upper bound); postgrey's real delay lies in between
            Row window = queue.greylistWindow("grey.test").orElseThrow(() -> new AssertionError("no window learned"));
            Duration lower = Duration.ofMillis(window.getLong("lower_ms"));
            Duration upper = Duration.ofMillis(window.getLong("upper_ms"));
            assertThat(lower).isLessThan(DELAY);
            assertThat(upper).isGreaterThanOrEqualTo(DELAY);
            Duration bobObserved = Duration.between(firstGreylisted, bobAttempts.get(1).getInstant("attempted_at"));
            // (stored times have millisecond precision, the window was computed before rounding)
            assertThat(upper).as("at most what bob's delivery showed").isLessThanOrEqualTo(bobObserved.plusMillis(1));

            // a new recipient is a new triplet, greylisted again; its retry is timed by the learned window:
            // first deferral + upper bound + hint margin (plus jitter), and it passes at once
            String dave = "dave-" + run + "@grey.test";
            String secondToken = UUID.randomUUID().toString();
            submit(List.of(dave), secondToken);
            Row delivered = queue.awaitRecipient(dave, row -> "DELIVERED".equals(row.getString("state")),
                upper.plus(HINT_MARGIN).plus(MAX_JITTER).plusSeconds(60));
            List<Row> attempts = queue.attempts(delivered);
            assertThat(attempts).hasSize(2);
            Row first = attempts.get(0);
            assertThat(first.getInt("reply_code")).isEqualTo(450);
            assertThat(first.getString("decision")).isEqualTo("DEFERRED");
            Duration learnedDelay = upper.plus(HINT_MARGIN);
            Duration planned = Duration.between(first.getInstant("attempted_at"), first.getInstant("next_attempt_at"));
            assertThat(planned).as("retry planned by the learned window %s", window.getFormattedContents())
                .isBetween(learnedDelay, learnedDelay.plus(jitterOf(learnedDelay)));
            Row last = attempts.get(1);
            assertThat(last.getInt("reply_code")).isEqualTo(250);
            assertThat(last.getInstant("attempted_at")).isAfterOrEqualTo(first.getInstant("next_attempt_at"));
            assertThat(Duration.between(first.getInstant("next_attempt_at"), last.getInstant("attempted_at")))
                .as("attempted soon after it was due").isLessThan(Duration.ofSeconds(10));
            assertThat(delivered.getInt("greylist_attempts")).isEqualTo(1);
            assertThat(awaitMessages(secondToken, dave)).hasSize(1);
        }
    }

    /** postgrey's actions for a recipient, once it has logged this many (it may log just after answering). */
    private static List<String> awaitDecisions(String recipient, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> actions = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            actions = new ArrayList<>();
            for (Map<String, String> decision : postfix.greylistDecisions()) {
                if (recipient.equals(decision.get("recipient"))) {
                    actions.add(decision.get("action"));
                }
            }
            if (actions.size() >= count) {
                break;
            }
            Thread.sleep(200);
        }
        return actions;
    }

    /** The largest jitter the shipped settings add to a greylisting delay, and a millisecond of rounding. */
    private static Duration jitterOf(Duration delay) {
        Duration share = Duration.ofMillis((long) (delay.toMillis() * JITTER));
        return (share.compareTo(MAX_JITTER) < 0 ? share : MAX_JITTER).plusMillis(1);
    }

    private static void submit(List<String> recipients, String token) throws Exception {
        try (SubmissionSession session = SubmissionSession.open(node.port(587), LOGIN, PASSWORD)) {
            String reply = session.send(LOGIN, recipients, "From: Alice <" + LOGIN + ">\r\nTo: "
                + String.join(", ", recipients) + "\r\nSubject: greylisting " + token + "\r\n\r\nToken " + token + ".\r\n");
            assertThat(reply).startsWith("250");
        }
    }

    private static List<String> messagesWith(String token) throws IOException {
        List<String> found = new ArrayList<>();
        for (String message : sink.messages()) {
            if (message.contains(token)) {
                found.add(message);
            }
        }
        return found;
    }

    /** Waits until every recipient has received a relayed message with the token; returns all such messages. */
    private static List<String> awaitMessages(String token, String... recipients) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> found = messagesWith(token);
            boolean all = true;
            for (String recipient : recipients) {
                all &= found.stream().anyMatch(message -> message.contains("X-Rcpt-Args: <" + recipient + ">"));
            }
            if (all) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("Postfix did not relay " + token + " within 30 s\n" + postfix.describe());
    }
}
