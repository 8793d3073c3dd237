package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.DnsDkimVerifier;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.dispatchmail.it.support.ZoneLines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * DKIM end to end: keys made with the documented commands, published in a real DNS server,
 * activated once visible, mail signed by James + Dispatch and checked by an independent verifier
 * (dkimpy) reading the keys from that DNS server; then a rotation; then the required-signature rule.
 * The steps build on each other, so they run in order.
 */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DkimSigningIT {
    private static final String MX_ADDRESS = "127.0.0.28";
    private static final List<String> MX_RECORDS = List.of("--mx-host=dkim-sink.test,mx.dkim-sink.test,10",
        "--host-record=mx.dkim-sink.test," + MX_ADDRESS);

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;
    private static final List<String> published = new ArrayList<>();

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, "dkim_it");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.dkim-sink.test"));
        dns = rig.dns(MX_RECORDS);
        node = rig.node(Map.of(
            "queue.pollInterval", "200ms",
            "dkim.keyCacheTtl", "1s",
            "dkim.requiredDomains", "strict.example"));
        node.admin("add-domain", "example.com");
        // a submission login that may also send as the other test domains
        node.adminWithInput("dkim-pass-1-long\n", "submission", "add", "alice@example.com",
            "--senders", "@other.example,@strict.example");
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    /** Serves the MX records and every TXT record published so far, on the port the node already uses. */
    private static void publish(String zoneLines) throws Exception {
        published.addAll(ZoneLines.dnsmasqTxtRecords(zoneLines));
        List<String> records = new ArrayList<>(MX_RECORDS);
        records.addAll(published);
        dns = rig.restartDns(records);
    }

    /** Submits a message and returns it as the remote MX received it. */
    private static byte[] sendAndReceive(String from) throws Exception {
        String token = UUID.randomUUID().toString();
        String reply = Submission.send(node.port(587), "alice@example.com", "dkim-pass-1-long", "alice@example.com",
            "rcpt@dkim-sink.test", "From: " + from + "\r\nTo: rcpt@dkim-sink.test\r\nSubject: dkim " + token
                + "\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <" + token + "@example.com>\r\n\r\n"
                + "Hello,   with  spaces   \r\n\r\nand a second paragraph.\r\n\r\n\r\n");
        assertThat(reply).startsWith("250");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> sink.messages().stream().anyMatch(message -> message.contains(token)));
        return DnsDkimVerifier.fromSinkDump(sink.messages().stream().filter(message -> message.contains(token))
            .findFirst().orElseThrow());
    }

    @Test
    @Order(1)
    void keysSignOnlyOnceTheirRecordsAreInDnsAndAnIndependentVerifierAcceptsThem() throws Exception {
        String made = node.admin("dkim", "generate", "example.com");
        assertThat(made).contains("rsa-sha256").contains("ed25519-sha256").contains("pending");
        assertThat(node.admin("dkim", "check")).contains("No pending key is visible in DNS yet.");
        assertThat(new String(sendAndReceive("Alice <alice@example.com>"), StandardCharsets.UTF_8))
            .as("not signed before DNS shows the keys").doesNotContain("DKIM-Signature");

        publish(node.admin("dkim", "dns", "example.com"));
        String check = node.admin("dkim", "check");
        assertThat(check).contains("Activated").contains("rsa-sha256").contains("ed25519-sha256");

        byte[] signed = sendAndReceive("Alice <alice@example.com>");
        List<String> results = DnsDkimVerifier.verify(signed, "127.0.0.1", dns.port());
        assertThat(results).hasSize(2).allMatch(line -> line.startsWith("pass example.com "));
        assertThat(results).anyMatch(line -> line.endsWith(" rsa-sha256")).anyMatch(line -> line.endsWith(" ed25519-sha256"));

        String text = new String(signed, StandardCharsets.UTF_8);
        byte[] bodyTampered = text.replace("second paragraph", "third paragraph").getBytes(StandardCharsets.UTF_8);
        assertThat(DnsDkimVerifier.verify(bodyTampered, "127.0.0.1", dns.port())).allMatch(line -> line.startsWith("fail"));
        byte[] fromAdded = ("From: mallory@example.com\r\n" + text).getBytes(StandardCharsets.UTF_8);
        assertThat(DnsDkimVerifier.verify(fromAdded, "127.0.0.1", dns.port()))
            .as("From: is over-signed: a second one breaks the signature").allMatch(line -> line.startsWith("fail"));
    }

    @Test
    @Order(2)
    void aRotationSwitchesToTheNewKeysOnlyOnceTheyArePublished() throws Exception {
        List<String> before = selectorsOf(DnsDkimVerifier.verify(sendAndReceive("alice@example.com"), "127.0.0.1", dns.port()));

        String rotated = node.admin("dkim", "rotate", "example.com");
        assertThat(rotated).contains("Successors");
        assertThat(node.admin("dkim", "check")).contains("No pending key is visible in DNS yet.");
        assertThat(selectorsOf(DnsDkimVerifier.verify(sendAndReceive("alice@example.com"), "127.0.0.1", dns.port())))
            .as("the old keys sign until the new ones are published").isEqualTo(before);

        publish(rotated.substring(rotated.indexOf("Publish:")));
        assertThat(node.admin("dkim", "check")).contains("Activated");
        List<String> after = DnsDkimVerifier.verify(sendAndReceive("alice@example.com"), "127.0.0.1", dns.port());
        assertThat(after).hasSize(2).allMatch(line -> line.startsWith("pass"));
        assertThat(selectorsOf(after)).doesNotContainAnyElementsOf(before);

        String list = node.admin("dkim", "list", "example.com");
        for (String selector : before) {
            assertThat(list).containsPattern(Pattern.quote(selector) + "\\s+\\S+\\s+retired");
        }
    }

    @Test
    @Order(3)
    void aDomainWithoutKeysGoesOutUnsignedUnlessASignatureIsRequired() throws Exception {
        assertThat(new String(sendAndReceive("Bob <bob@other.example>"), StandardCharsets.UTF_8))
            .doesNotContain("DKIM-Signature");

        String token = UUID.randomUUID().toString();
        String reply = Submission.send(node.port(587), "alice@example.com", "dkim-pass-1-long", "alice@example.com",
            "rcpt@dkim-sink.test", "From: news@strict.example\r\nTo: rcpt@dkim-sink.test\r\nSubject: " + token
                + "\r\n\r\nmust be signed\r\n");
        assertThat(reply).startsWith("250");
        await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.readString(node.jamesLog())
            .contains("DKIM signature required for strict.example"));
        assertThat(sink.messages()).noneMatch(message -> message.contains(token));
    }

    @Test
    @Order(4)
    void badInputGetsAClearAnswer() throws Exception {
        Process process = DispatchNode.launcher("dkim", "generate", "example.com", "--algorithm", "dsa",
            "--webadmin", node.webadmin().toString(), "--state", node.stateDir().toString())
            .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).isNotZero();
        assertThat(output).contains("HTTP 400").contains("dsa");
    }

    @Test
    @Order(5)
    void retireStopsAKeyAndDeleteRemovesIt() throws Exception {
        List<String> signing = selectorsOf(DnsDkimVerifier.verify(sendAndReceive("alice@example.com"), "127.0.0.1", dns.port()));
        String ed25519 = signing.stream().filter(selector -> selector.endsWith("-ed") || selector.contains("-ed-"))
            .findFirst().orElseThrow();

        assertThat(node.admin("dkim", "retire", "example.com", ed25519)).contains(ed25519).contains("retired");
        await().atMost(Duration.ofSeconds(10)).until(() -> selectorsOf(DnsDkimVerifier.verify(
            sendAndReceive("alice@example.com"), "127.0.0.1", dns.port())).equals(
                signing.stream().filter(s -> !s.equals(ed25519)).collect(java.util.stream.Collectors.toList())));

        assertThat(node.admin("dkim", "delete", "example.com", ed25519)).contains("Deleted " + ed25519 + "._domainkey.example.com");
        assertThat(node.admin("dkim", "list", "example.com")).doesNotContain(ed25519);
    }

    /**
     * The forger's case: from outside, on port 25, a message claiming a hosted domain's author, to a local user who
     * forwards to a remote address. The copy that leaves must carry no signature of the hosted domain.
     */
    @Test
    @Order(6)
    void mailFromPort25ForwardedByALocalUserIsNeverSignedWithAHostedKey() throws Exception {
        node.adminWithInput("desk-pass-1-long\n", "add-user", "ceo-desk@example.com");
        putWebadmin("/address/forwards/ceo-desk@example.com/targets/rcpt@dkim-sink.test");
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession session = RawSmtpSession.open(node.port(25), false)) {
            assertThat(session.sendForFirstLine("EHLO forger.test")).startsWith("250");
            assertThat(session.sendForFirstLine("MAIL FROM:<ceo@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<ceo-desk@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            session.write("From: CEO <ceo@example.com>\r\nTo: ceo-desk@example.com\r\nSubject: wire " + token
                + "\r\nMessage-ID: <" + token + "@forger.test>\r\n\r\nPay the invoice today.\r\n.\r\n");
            assertThat(session.reply().get(0)).startsWith("250");
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> sink.messages().stream().anyMatch(message -> message.contains(token)));
        byte[] forwarded = DnsDkimVerifier.fromSinkDump(sink.messages().stream().filter(message -> message.contains(token))
            .findFirst().orElseThrow());
        assertThat(new String(forwarded, StandardCharsets.UTF_8)).doesNotContain("d=example.com");
        assertThat(DnsDkimVerifier.verify(forwarded, "127.0.0.1", dns.port())).noneMatch(line -> line.startsWith("pass"));
        assertThat(java.nio.file.Files.readString(node.jamesLog())).contains("is not DKIM-signed: it came in on the MX port");

        // the same From: submitted by its login is signed: the key still works for its owner
        assertThat(DnsDkimVerifier.verify(sendAndReceive("alice@example.com"), "127.0.0.1", dns.port()))
            .anyMatch(line -> line.startsWith("pass example.com "));
    }

    private static void putWebadmin(String path) throws Exception {
        java.net.http.HttpResponse<String> response = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(node.webadmin().resolve(path)).header("Authorization", node.bearer())
                .PUT(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
    }

    private static List<String> selectorsOf(List<String> results) {
        List<String> selectors = new ArrayList<>();
        for (String line : results) {
            selectors.add(line.split(" ")[2]);
        }
        return selectors;
    }
}
