package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.DkimKeyGenerator;
import org.dispatchmail.core.dkim.DkimSigner;
import org.dispatchmail.core.dkim.DnsRecord;
import org.dispatchmail.core.dkim.SigningKey;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.DnsDkimVerifier;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.ZoneLines;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A forward end to end: a message DKIM-signed by an outside domain comes in on port 25 for a local user who forwards
 * to a remote address; the copy the remote MX receives carries an ARC set of arc.domain that dkimpy's arc_verify,
 * reading the keys from a real DNS server, passes, and whose ARC-Authentication-Results say the DKIM signature passed
 * on arrival. And the forger's case: a message from outside claiming a hosted domain's author leaves unsigned by
 * that domain's key, with an SRS envelope sender and an ARC seal that records no DKIM pass.
 */
@ExtendWith(CassandraExtension.class)
class ArcSealingIT {
    private static final String MX_ADDRESS = "127.0.0.29";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** The outside domain that signs the original message, with a key only this test holds. */
    private static final SigningKey OUTSIDE = new SigningKey("outside.example", "sel",
        DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256).privateKey());

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, "arc_it");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.remote.test"));
        dns = rig.dns(records(List.of()));
        node = rig.node(Map.of(
            "delivery.heloName", "mx1.example.com",
            "queue.pollInterval", "200ms",
            "dkim.keyCacheTtl", "1s",
            "arc.domain", "example.com",
            "srs.domain", "srs.example.com"));
        node.admin("add-domain", "example.com");
        node.adminWithInput("arc-pass-1-long\n", "add-user", "bob@example.com");
        HttpResponse<String> forward = HTTP.send(HttpRequest.newBuilder(
                URI.create(node.webadmin() + "/address/forwards/bob@example.com/targets/carol@remote.test"))
            .header("Authorization", node.bearer()).PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forward.statusCode()).as(forward.body()).isEqualTo(204);

        // the sealing key: made with the documented command, published, activated once DNS shows it
        assertThat(node.admin("dkim", "generate", "example.com", "--algorithm", "rsa-sha256")).contains("pending");
        dns = rig.restartDns(records(ZoneLines.dnsmasqTxtRecords(node.admin("dkim", "dns", "example.com"))));
        assertThat(node.admin("dkim", "check")).contains("Activated");
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void aForwardedMessageLeavesWithAnArcSealThatAnIndependentVerifierPasses() throws Exception {
        String token = UUID.randomUUID().toString();
        byte[] original = ("From: Olivia <olivia@outside.example>\r\n"
            + "To: bob@example.com\r\n"
            + "Subject: forwarded " + token + "\r\n"
            + "Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n"
            + "Message-ID: <" + token + "@outside.example>\r\n"
            + "\r\n"
            + "Hello Bob,   this goes\r\n\r\nto Carol.\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] signed = DkimSigner.prepend(new DkimSigner(Clock.systemUTC()).sign(original, List.of(OUTSIDE)), original);

        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO mail.outside.example");
            assertThat(mx.send("MAIL FROM:<olivia@outside.example>")).allMatch(line -> line.startsWith("250"));
            assertThat(mx.send("RCPT TO:<bob@example.com>")).allMatch(line -> line.startsWith("250"));
            assertThat(mx.send("DATA")).allMatch(line -> line.startsWith("354"));
            String data = new String(signed, StandardCharsets.US_ASCII);
            assertThat(mx.send(data.substring(0, data.length() - 2) + "\r\n.")).allMatch(line -> line.startsWith("250"));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> !sink.messagesWith(token).isEmpty());
        byte[] received = DnsDkimVerifier.fromSinkDump(sink.messagesWith(token).get(0));
        String text = new String(received, StandardCharsets.US_ASCII);

        assertThat(DnsDkimVerifier.arcVerify(received, "127.0.0.1", dns.port())).as(text).isEqualTo("cv=pass success");
        String unfolded = text.replace("\r\n ", " ").replace("\r\n\t", " ");
        assertThat(unfolded).contains("ARC-Authentication-Results: i=1; mx1.example.com;"
            + " dkim=pass header.d=outside.example header.s=sel");
        assertThat(unfolded).containsPattern("ARC-Seal: i=1; a=rsa-sha256; t=\\d+; cv=none; d=example.com;");
        assertThat(unfolded).as("the forward is not signed with a hosted domain's key")
            .doesNotContain("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;");
        assertThat(DnsDkimVerifier.verify(received, "127.0.0.1", dns.port()))
            .as("the original signature still verifies at the receiver").containsExactly("pass outside.example sel rsa-sha256");
    }

    @Test
    void aForgedHostedAuthorForwardedFromOutsideGetsNoHostedSignatureButSrsAndAnArcSeal() throws Exception {
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO forger.test");
            assertThat(mx.send("MAIL FROM:<ceo@example.com>")).allMatch(line -> line.startsWith("250"));
            assertThat(mx.send("RCPT TO:<bob@example.com>")).allMatch(line -> line.startsWith("250"));
            assertThat(mx.send("DATA")).allMatch(line -> line.startsWith("354"));
            assertThat(mx.send("From: CEO <ceo@example.com>\r\nTo: bob@example.com\r\nSubject: wire " + token
                + "\r\nMessage-ID: <" + token + "@forger.test>\r\n\r\nPay the invoice today.\r\n."))
                .allMatch(line -> line.startsWith("250"));
        }
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> !sink.messagesWith(token).isEmpty());
        String dump = sink.messagesWith(token).get(0);
        byte[] received = DnsDkimVerifier.fromSinkDump(dump);
        String unfolded = new String(received, StandardCharsets.US_ASCII).replace("\r\n ", " ").replace("\r\n\t", " ");

        assertThat(DnsDkimVerifier.verify(received, "127.0.0.1", dns.port())).as("no signature of the hosted domain")
            .noneMatch(line -> line.startsWith("pass"));
        assertThat(unfolded).doesNotContain("DKIM-Signature:");
        assertThat(dump).as("the envelope sender is an SRS address of srs.domain")
            .containsPattern("(?m)^X-Mail-Args: <SRS0=[^=]+=[A-Za-z2-7]{2}=example\\.com=ceo@srs\\.example\\.com>");
        assertThat(DnsDkimVerifier.arcVerify(received, "127.0.0.1", dns.port())).isEqualTo("cv=pass success");
        assertThat(unfolded).contains("ARC-Authentication-Results: i=1; mx1.example.com; dkim=none");
    }

    /** The MX of remote.test and the outside domain's key, plus the given TXT records. */
    private static List<String> records(List<String> more) {
        List<String> records = new ArrayList<>(List.of("--mx-host=remote.test,mx.remote.test,10",
            "--host-record=mx.remote.test," + MX_ADDRESS));
        records.add("--txt-record=" + DnsRecord.name("sel", "outside.example") + ","
            + String.join(",", DnsRecord.txtStrings(OUTSIDE.key())));
        records.addAll(more);
        return records;
    }
}
