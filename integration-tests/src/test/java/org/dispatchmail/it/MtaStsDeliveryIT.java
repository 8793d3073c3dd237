package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.MtaStsPolicyHost;
import org.dispatchmail.it.support.PostfixPeer;
import org.dispatchmail.it.support.QueueState;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.dispatchmail.it.support.TestCertificates;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * MTA-STS (RFC 8461) end to end: the {@code _mta-sts} TXT records in dnsmasq, the policies on a real HTTPS host with
 * a test CA, a real Postfix with a certificate from that CA as the MX that TLS must verify against, and a plain
 * smtp-sink as an MX that no policy lists (the one an attacker would put first). Without a policy Dispatch would
 * use the first MX; under an enforced policy it must skip it.
 */
@ExtendWith(CassandraExtension.class)
class MtaStsDeliveryIT {
    private static final String KEYSPACE = "e2e_mta_sts";
    private static final String LOGIN = "alice@example.com";
    private static final String PASSWORD = "sts-pass-1-long";
    private static final String POSTFIX_ADDRESS = "127.0.0.84";
    private static final String FINAL_SINK_ADDRESS = "127.0.0.85";
    private static final String UNLISTED_MX_ADDRESS = "127.0.0.86";
    private static final String POLICY_HOST_ADDRESS = "127.0.0.87";
    private static final List<String> DOMAINS = List.of(
        "enforce.test", "badcert.test", "nomatch.test", "testing.test", "cached.test");

    private static DeliveryRig rig;
    private static SmtpSink finalSink;
    private static SmtpSink unlistedMx;
    private static PostfixPeer postfix;
    private static MtaStsPolicyHost policyHost;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        TestCertificates certificates = TestCertificates.create();
        rig = new DeliveryRig(cassandra, KEYSPACE);
        finalSink = rig.peer(SmtpSink.start(FINAL_SINK_ADDRESS, FreePorts.pick(), "final.sts.test"));
        unlistedMx = rig.peer(SmtpSink.start(UNLISTED_MX_ADDRESS, rig.remotePort(), "unlisted.sts.test"));
        // the certificate names the listed MX hosts of enforce.test and cached.test, not those of the others
        postfix = rig.peer(PostfixPeer.builder(POSTFIX_ADDRESS, rig.remotePort()).hostName("mx2.enforce.test")
            .acceptDomains(DOMAINS.toArray(new String[0])).relayTo(finalSink.address(), finalSink.port())
            .tls(certificates.server("mx2.enforce.test", "mx2.cached.test")).start());
        policyHost = rig.peer(MtaStsPolicyHost.start(POLICY_HOST_ADDRESS, certificates, DOMAINS));
        policyHost.serve("enforce.test", policy("enforce", "mx2.enforce.test"));
        policyHost.serve("badcert.test", policy("enforce", "mx.badcert.test"));
        policyHost.serve("nomatch.test", policy("enforce", "mail.elsewhere.test"));
        policyHost.serve("testing.test", policy("testing", "*.testing.test"));
        policyHost.serve("cached.test", policy("enforce", "mx2.cached.test"));
        rig.dns(records("1"));
        node = rig.node(Map.ofEntries(
            Map.entry("delivery.heloName", "dispatch.example.com"),
            Map.entry("queue.pollInterval", "200ms"),
            Map.entry("delivery.tls.truststore", certificates.truststore().toString()),
            Map.entry("delivery.tls.truststorePassword", TestCertificates.TRUSTSTORE_PASSWORD),
            Map.entry("delivery.mtaSts.recheckInterval", "1s")),
            DispatchNode.TEST_JAVA_OPTS + " " + policyHost.javaOptions());
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    /** The MX records (an unlisted first MX on the plain sink, the listed one on Postfix) and the TXT records. */
    private static List<String> records(String cachedTestId) {
        List<String> records = new ArrayList<>(List.of(
            "--host-record=mx1.enforce.test," + UNLISTED_MX_ADDRESS,
            "--host-record=mx2.enforce.test," + POSTFIX_ADDRESS,
            "--mx-host=enforce.test,mx1.enforce.test,10", "--mx-host=enforce.test,mx2.enforce.test,20",
            "--mx-host=badcert.test,mx.badcert.test,10", "--host-record=mx.badcert.test," + POSTFIX_ADDRESS,
            "--mx-host=nomatch.test,mx.nomatch.test,10", "--host-record=mx.nomatch.test," + POSTFIX_ADDRESS,
            "--mx-host=testing.test,mx.testing.test,10", "--host-record=mx.testing.test," + POSTFIX_ADDRESS,
            "--host-record=mx1.cached.test," + UNLISTED_MX_ADDRESS,
            "--host-record=mx2.cached.test," + POSTFIX_ADDRESS,
            "--mx-host=cached.test,mx1.cached.test,10", "--mx-host=cached.test,mx2.cached.test,20"));
        for (String domain : DOMAINS) {
            String id = domain.equals("cached.test") ? cachedTestId : "1";
            records.add("--txt-record=_mta-sts." + domain + ",v=STSv1; id=" + id);
        }
        return records;
    }

    private static String policy(String mode, String... mx) {
        StringBuilder text = new StringBuilder("version: STSv1\r\nmode: " + mode + "\r\n");
        for (String host : mx) {
            text.append("mx: ").append(host).append("\r\n");
        }
        return text.append("max_age: 86400\r\n").toString();
    }

    @Test
    void anEnforcedPolicySkipsTheUnlistedMxAndDeliversOverVerifiedTls(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "bob-" + token.substring(0, 8) + "@enforce.test";
        submit(recipient, token);
        AttemptHistoryEntry attempt = awaitOnlyAttempt(cassandra, recipient, RecipientState.DELIVERED);
        assertThat(attempt.host()).hasValue("mx2.enforce.test");
        assertThat(attempt.tls().orElse("")).endsWith(" verified");
        assertThat(awaitMessages(finalSink, token)).hasSize(1);
        assertThat(unlistedMx.messagesWith(token)).as("the MX the policy does not list").isEmpty();
        assertThat(log()).containsPattern("policy=mta-sts(?![-\\w])");
    }

    @Test
    void anEnforcedPolicyDefersWhenTheCertificateDoesNotNameTheMxAndNeverSendsInPlainText(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "carol-" + token.substring(0, 8) + "@badcert.test";
        submit(recipient, token);
        AttemptHistoryEntry attempt = awaitOnlyAttempt(cassandra, recipient, RecipientState.DEFERRED);
        assertThat(attempt.host()).hasValue("mx.badcert.test");
        assertThat(attempt.stage()).isEqualTo("starttls");
        assertThat(attempt.enhancedCode()).hasValue("4.7.5");
        assertThat(attempt.tls()).as("no TLS session was established").isEmpty();
        assertThat(postfix.logText()).as(postfix.describe()).doesNotContain(recipient);
    }

    @Test
    void anEnforcedPolicyThatListsNoneOfTheMxHostsDefersWithoutConnecting(EmbeddedCassandra cassandra)
        throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "dave-" + token.substring(0, 8) + "@nomatch.test";
        submit(recipient, token);
        AttemptHistoryEntry attempt = awaitOnlyAttempt(cassandra, recipient, RecipientState.DEFERRED);
        assertThat(attempt.enhancedCode().orElse("")).startsWith("4.");
        assertThat(attempt.text().orElseThrow()).contains("mx.nomatch.test");
        assertThat(attempt.address()).as("no server was connected to").isEmpty();
        assertThat(postfix.logText()).as(postfix.describe()).doesNotContain(recipient);
    }

    @Test
    void aTestingPolicyDeliversDespiteACertificateForAnotherName(EmbeddedCassandra cassandra) throws Exception {
        String token = UUID.randomUUID().toString();
        String recipient = "erin-" + token.substring(0, 8) + "@testing.test";
        submit(recipient, token);
        AttemptHistoryEntry attempt = awaitOnlyAttempt(cassandra, recipient, RecipientState.DELIVERED);
        assertThat(attempt.host()).hasValue("mx.testing.test");
        assertThat(attempt.tls().orElse("")).endsWith(" unverified");
        assertThat(awaitMessages(finalSink, token)).hasSize(1);
        assertThat(log()).contains("policy=mta-sts-testing");
    }

    @Test
    void theStoredPolicyStaysInForceWhenTheHostIsDownAndANewIdIsFetchedWhenItIsBack(EmbeddedCassandra cassandra)
        throws Exception {
        String first = UUID.randomUUID().toString();
        String recipient = "frank-" + first.substring(0, 8) + "@cached.test";
        submit(recipient, first);
        assertThat(awaitOnlyAttempt(cassandra, recipient, RecipientState.DELIVERED).host()).hasValue("mx2.cached.test");
        int fetches = policyHost.requests("cached.test");
        assertThat(fetches).isPositive();

        // a new id while the policy host answers 404: the refresh fails, the stored policy stays in force
        policyHost.withdraw("cached.test");
        rig.restartDns(records("2"));
        awaitFetchesAbove("cached.test", fetches);
        String second = UUID.randomUUID().toString();
        String secondRecipient = "grace-" + second.substring(0, 8) + "@cached.test";
        submit(secondRecipient, second);
        assertThat(awaitOnlyAttempt(cassandra, secondRecipient, RecipientState.DELIVERED).host())
            .hasValue("mx2.cached.test");
        assertThat(unlistedMx.messagesWith(second)).isEmpty();

        // the host is back with a withdrawn policy (mode none) under a third id: the unlisted MX is used again
        policyHost.serve("cached.test", policy("none", "mx2.cached.test"));
        int beforeThird = policyHost.requests("cached.test");
        rig.restartDns(records("3"));
        awaitFetchesAbove("cached.test", beforeThird);
        String third = UUID.randomUUID().toString();
        String thirdRecipient = "heidi-" + third.substring(0, 8) + "@cached.test";
        submit(thirdRecipient, third);
        assertThat(awaitOnlyAttempt(cassandra, thirdRecipient, RecipientState.DELIVERED).host())
            .hasValue("mx1.cached.test");
        assertThat(awaitMessages(unlistedMx, third)).hasSize(1);
    }

    private static void submit(String recipient, String token) throws Exception {
        String reply = Submission.send(node.port(587), LOGIN, PASSWORD, LOGIN, recipient,
            "From: Alice <" + LOGIN + ">\r\nTo: " + recipient + "\r\nSubject: mta-sts " + token
                + "\r\n\r\nToken " + token + ".\r\n");
        assertThat(reply).startsWith("250");
    }

    private static AttemptHistoryEntry awaitOnlyAttempt(EmbeddedCassandra cassandra, String recipient,
                                                        RecipientState state) throws Exception {
        try (QueueState queue = new QueueState(cassandra, KEYSPACE)) {
            RecipientRecord record = queue.awaitRecipient(recipient, r -> r.state() == state, Duration.ofSeconds(60));
            List<AttemptHistoryEntry> attempts = queue.attempts(record);
            assertThat(attempts).as("attempts of %s", recipient).hasSize(1);
            return attempts.get(0);
        }
    }

    /**
     * Waits until the node asks the policy host again: it does so at a delivery, and a queue with nothing to deliver
     * asks nothing, so a probe message to the domain goes first when it has to.
     */
    private static void awaitFetchesAbove(String domain, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        Thread.sleep(1_500); // the node's memory of the domain's record lasts recheckInterval
        String probe = UUID.randomUUID().toString();
        submit("probe-" + probe.substring(0, 8) + "@" + domain, probe);
        while (policyHost.requests(domain) <= count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the node did not ask mta-sts." + domain + " again");
            }
            Thread.sleep(200);
        }
    }

    private static List<String> awaitMessages(SmtpSink sink, String token) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<String> found = sink.messagesWith(token);
            if (!found.isEmpty()) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("message " + token + " did not arrive\n" + postfix.describe());
    }

    private static String log() throws Exception {
        return Files.readString(node.jamesLog());
    }
}
