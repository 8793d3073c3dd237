package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.GreylistMemory.LearnedWindow;
import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.PostfixPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.SubmissionSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Greylisting end to end: the MX of grey.test is a real Postfix with postgrey (every new triplet of
 * client address, sender and recipient deferred for {@link #DELAY}), relaying to a sink; the MX of
 * wait.test another one whose postgrey defers for {@link #LONG_DELAY}. Dispatch runs with the shipped
 * greylisting settings (probes at 35 s, 65 s... after the first deferral, jitter up to 10% and at most
 * 15 s, one prober per destination domain).
 */
@ExtendWith(CassandraExtension.class)
class GreylistingDeliveryIT {
    private static final String KEYSPACE = "e2e_greylisting";
    private static final String LOGIN = "alice@example.com";
    private static final String PASSWORD = "greylist-pass-1-long";
    private static final String POSTFIX_ADDRESS = "127.0.0.100";
    private static final String SINK_ADDRESS = "127.0.0.101";
    private static final String POSTGREY_ADDRESS = "127.0.0.102";
    private static final String LONG_POSTFIX_ADDRESS = "127.0.0.103";
    private static final String LONG_POSTGREY_ADDRESS = "127.0.0.104";
    /** postgrey's delay at wait.test: between the first probe (35 s) and the second (65 s). */
    private static final Duration LONG_DELAY = Duration.ofSeconds(40);
    /** retry.greylist.probes: the last probe, 1805 s after the first deferral. */
    private static final Duration LAST_PROBE = Duration.ofSeconds(1805);
    /** postgrey's delay: shorter than the first probe (35 s), so the first probe passes. */
    private static final Duration DELAY = Duration.ofSeconds(20);
    private static final Duration FIRST_PROBE = Duration.ofSeconds(35);
    /** retry.greylist.jitter (10%) of a delay, at most retry.greylist.maxJitter (15 s). */
    private static final double JITTER = 0.10;
    private static final Duration MAX_JITTER = Duration.ofSeconds(15);

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static PostfixPeer postfix;
    private static PostfixPeer longPostfix;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        int mxPort = rig.remotePort();
        sink = rig.peer(SmtpSink.start(SINK_ADDRESS, FreePorts.pick(), "final.grey.test"));
        postfix = rig.peer(PostfixPeer.builder(POSTFIX_ADDRESS, mxPort).hostName("mx.grey.test")
            .acceptDomains("grey.test").relayTo(sink.address(), sink.port())
            .greylisting(POSTGREY_ADDRESS, FreePorts.pick(), DELAY).start());
        longPostfix = rig.peer(PostfixPeer.builder(LONG_POSTFIX_ADDRESS, mxPort).hostName("mx.wait.test")
            .acceptDomains("wait.test").relayTo(sink.address(), sink.port())
            .greylisting(LONG_POSTGREY_ADDRESS, FreePorts.pick(), LONG_DELAY).start());
        dns = rig.dns(List.of("--mx-host=grey.test,mx.grey.test,10",
            "--host-record=mx.grey.test," + POSTFIX_ADDRESS, "--mx-host=wait.test,mx.wait.test,10",
            "--host-record=mx.wait.test," + LONG_POSTFIX_ADDRESS));
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.example.com",
            "queue.pollInterval", "200ms"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
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
            RecipientRecord firstDeferral = queue.awaitRecipient(bob, r -> r.attempts() >= 1, Duration.ofSeconds(60));
            assertThat(firstDeferral.state()).as(postfix.describe()).isEqualTo(RecipientState.DEFERRED);
            assertThat(firstDeferral.greylistAttempts()).isEqualTo(1);
            assertThat(firstDeferral.firstGreylistedAt()).isPresent();

            Duration patience = DELAY.plusSeconds(60);
            List<AttemptHistoryEntry> bobAttempts = null;
            Instant firstGreylisted = null;
            Instant bobRetryAt = null;
            for (String recipient : List.of(bob, carol)) {
                RecipientRecord delivered = queue.awaitRecipient(recipient, r -> r.state() == RecipientState.DELIVERED,
                    patience.plusSeconds(30));
                List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
                AttemptHistoryEntry first = attempts.get(0);
                assertThat(first.stage()).isEqualTo("rcpt");
                assertThat(first.replyCode()).hasValue(450);
                assertThat(first.enhancedCode()).hasValue("4.2.0");
                assertThat(first.text().orElseThrow()).contains("Greylisted");
                assertThat(first.decision()).isEqualTo("DEFERRED");
                // the retry was planned for the first probe, 35 s after the first deferral (plus jitter)
                Duration planned = Duration.between(first.attemptedAt(), first.nextAttemptAt().orElseThrow());
                assertThat(planned).isBetween(FIRST_PROBE, FIRST_PROBE.plus(jitterOf(FIRST_PROBE)));
                // postgrey's delay (20 s) is shorter than the first probe, so that probe passes: two attempts.
                // Any more would mean a probe came before postgrey's delay was over, which the schedule rules out.
                assertThat(attempts).as("attempts of %s", recipient).hasSize(2);
                AttemptHistoryEntry last = attempts.get(1);
                assertThat(last.replyCode()).hasValue(250);
                assertThat(last.decision()).isEqualTo("DELIVERED");
                assertThat(last.attemptedAt()).isAfterOrEqualTo(first.nextAttemptAt().orElseThrow());
                assertThat(Duration.between(first.attemptedAt(), last.attemptedAt()))
                    .isGreaterThanOrEqualTo(DELAY).isLessThanOrEqualTo(patience);
                assertThat(delivered.attempts()).isEqualTo(2);
                assertThat(delivered.greylistAttempts()).isEqualTo(1);
                if (recipient.equals(bob)) {
                    bobRetryAt = first.nextAttemptAt().orElseThrow();
                    bobAttempts = attempts;
                    firstGreylisted = delivered.firstGreylistedAt().orElseThrow();
                } else {
                    assertThat(first.nextAttemptAt().orElseThrow()).as("one retry time for the transaction")
                        .isEqualTo(bobRetryAt);
                }
            }
            // each recipient relayed once; deferred together, they were retried at one time (one jitter drawn)
            List<String> relayed = awaitMessages(firstToken, bob, carol);
            assertThat(relayed).filteredOn(message -> message.contains("X-Rcpt-Args: <" + bob + ">")).hasSize(1);
            assertThat(relayed).filteredOn(message -> message.contains("X-Rcpt-Args: <" + carol + ">")).hasSize(1);
            assertThat(awaitDecisions(postfix, bob, 2)).containsExactly("greylist", "pass");

            // the window learned for grey.test: still refused at the first deferral (lower bound), accepted
            // at the probe (upper bound); postgrey's real delay lies in between
            LearnedWindow window = queue.greylistWindow("grey.test")
                .orElseThrow(() -> new AssertionError("no window learned"));
            Duration lower = window.lower();
            Duration upper = window.upper();
            assertThat(lower).isLessThan(DELAY);
            assertThat(upper).isGreaterThanOrEqualTo(DELAY);
            Duration bobObserved = Duration.between(firstGreylisted, bobAttempts.get(1).attemptedAt());
            // (stored times have millisecond precision, the window was computed before rounding)
            assertThat(upper).as("at most what bob's delivery showed").isLessThanOrEqualTo(bobObserved.plusMillis(1));

            // a new recipient is a new triplet, greylisted again; its retry is timed by the learned window:
            // first deferral + upper bound (plus jitter; no margin, the server accepted then), and it passes at once
            String dave = "dave-" + run + "@grey.test";
            String secondToken = UUID.randomUUID().toString();
            submit(List.of(dave), secondToken);
            RecipientRecord delivered = queue.awaitRecipient(dave, r -> r.state() == RecipientState.DELIVERED,
                upper.plus(MAX_JITTER).plusSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
            assertThat(attempts).hasSize(2);
            AttemptHistoryEntry first = attempts.get(0);
            assertThat(first.replyCode()).hasValue(450);
            assertThat(first.decision()).isEqualTo("DEFERRED");
            Duration learnedDelay = upper;
            Duration planned = Duration.between(first.attemptedAt(), first.nextAttemptAt().orElseThrow());
            assertThat(planned).as("retry planned by the learned window %s..%s", window.lower(), window.upper())
                .isBetween(learnedDelay, learnedDelay.plus(jitterOf(learnedDelay)));
            AttemptHistoryEntry last = attempts.get(1);
            assertThat(last.replyCode()).hasValue(250);
            assertThat(last.attemptedAt()).isAfterOrEqualTo(first.nextAttemptAt().orElseThrow());
            assertThat(Duration.between(first.nextAttemptAt().orElseThrow(), last.attemptedAt()))
                .as("attempted soon after it was due").isLessThan(Duration.ofSeconds(10));
            assertThat(delivered.greylistAttempts()).isEqualTo(1);
            assertThat(awaitMessages(secondToken, dave)).hasSize(1);
        }
    }

    @Test
    void oneMessageProbesANewDomainAndTheMessagesGreylistedMeanwhileWaitForTheWindowItFinds(EmbeddedCassandra cassandra)
        throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String prober = "first-" + run + "@wait.test";
        String proberToken = UUID.randomUUID().toString();
        submit(List.of(prober), proberToken);

        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord proberDeferred = queue.awaitRecipient(prober, r -> r.attempts() >= 1,
                Duration.ofSeconds(60));
            assertThat(proberDeferred.state()).as(longPostfix.describe()).isEqualTo(RecipientState.DEFERRED);
            UUID proberId = proberDeferred.messageId();
            Prober role = queue.greylistProber("wait.test")
                .orElseThrow(() -> new AssertionError("no prober for wait.test"));
            assertThat(role.messageId()).isEqualTo(proberId);
            Duration proberPlanned = Duration.between(queue.attempts(proberDeferred).get(0).attemptedAt(),
                proberDeferred.nextAttemptAt());
            assertThat(proberPlanned).as("the prober probes").isBetween(FIRST_PROBE, FIRST_PROBE.plus(jitterOf(FIRST_PROBE)));

            // two more messages right after it, new triplets of the same domain: they wait
            List<String> waiters = List.of("second-" + run + "@wait.test", "third-" + run + "@wait.test");
            List<String> tokens = new ArrayList<>();
            for (String waiter : waiters) {
                String token = UUID.randomUUID().toString();
                tokens.add(token);
                submit(List.of(waiter), token);
            }
            for (String waiter : waiters) {
                RecipientRecord deferred = queue.awaitRecipient(waiter, r -> r.attempts() >= 1, Duration.ofSeconds(60));
                assertThat(deferred.state()).isEqualTo(RecipientState.DEFERRED);
                assertThat(deferred.greylistAttempts()).isEqualTo(1);
                AttemptHistoryEntry first = queue.attempts(deferred).get(0);
                assertThat(first.replyCode()).hasValue(450);
                assertThat(Duration.between(first.attemptedAt(), deferred.nextAttemptAt()))
                    .as("%s falls back to its last probe time, unless released", waiter)
                    .isBetween(LAST_PROBE, LAST_PROBE.plus(MAX_JITTER).plusMillis(1));
            }
            assertThat(queue.greylistWaiters("wait.test")).extracting(Waiter::recipient)
                .containsExactlyInAnyOrderElementsOf(waiters);

            // the prober: refused at the 35 s probe (postgrey waits 40 s), accepted at the 65 s one
            RecipientRecord proberDone = queue.awaitRecipient(prober, r -> r.state() == RecipientState.DELIVERED,
                Duration.ofSeconds(120));
            List<AttemptHistoryEntry> proberAttempts = queue.attempts(proberDone);
            assertThat(proberAttempts).hasSize(3);
            Instant proberDelivered = proberAttempts.get(2).attemptedAt();
            LearnedWindow window = queue.greylistWindow("wait.test")
                .orElseThrow(() -> new AssertionError("no window learned"));
            Duration upper = window.upper();
            assertThat(upper).isGreaterThanOrEqualTo(LONG_DELAY);

            for (String waiter : waiters) {
                RecipientRecord delivered = queue.awaitRecipient(waiter, r -> r.state() == RecipientState.DELIVERED,
                    Duration.ofSeconds(60));
                List<AttemptHistoryEntry> attempts = queue.attempts(delivered);
                // probing on its own, it would have been refused at 35 s too: 3 attempts
                assertThat(attempts).as("attempts of %s", waiter).hasSize(2);
                assertThat(delivered.greylistAttempts()).isEqualTo(1);
                AttemptHistoryEntry last = attempts.get(1);
                assertThat(last.replyCode()).hasValue(250);
                Instant firstDeferral = delivered.firstGreylistedAt().orElseThrow();
                assertThat(Duration.between(firstDeferral, last.attemptedAt()))
                    .as("released to its first deferral + the learned upper bound %s", upper)
                    .isBetween(upper.minusMillis(1), upper.plusSeconds(10));
                assertThat(Duration.between(proberDelivered, last.attemptedAt()))
                    .as("shortly after the prober").isBetween(Duration.ZERO, Duration.ofSeconds(30));
                assertThat(awaitDecisions(longPostfix, waiter, 2)).containsExactly("greylist", "pass");
            }
            assertThat(queue.greylistProber("wait.test")).as("the role is free").isEmpty();
            assertThat(queue.greylistWaiters("wait.test")).isEmpty();
            assertThat(awaitMessages(proberToken, prober)).hasSize(1);
            for (int i = 0; i < waiters.size(); i++) {
                assertThat(awaitMessages(tokens.get(i), waiters.get(i))).hasSize(1);
            }
            List<String> log = Files.readAllLines(node.jamesLog());
            for (String waiter : waiters) {
                assertThat(log).as("the delivery log of %s", waiter)
                    .anyMatch(line -> line.contains("rcpt=" + waiter + " ")
                        && line.contains("decision=deferred (greylisted, waiting for prober " + proberId + ")"));
            }
        }
    }

    /** postgrey's actions for a recipient, once it has logged this many (it may log just after answering). */
    private static List<String> awaitDecisions(PostfixPeer peer, String recipient, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> actions = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            actions = new ArrayList<>();
            for (Map<String, String> decision : peer.greylistDecisions()) {
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

    /** Waits until every recipient has received a relayed message with the token; returns all such messages. */
    private static List<String> awaitMessages(String token, String... recipients) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> found = sink.messagesWith(token);
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
