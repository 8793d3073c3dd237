package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.Submission;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bad input over real sockets: relay tricks on port 25, STARTTLS command injection, SMTP smuggling, over-long
 * lines, NUL bytes, bare CR/LF, 8-bit data without SMTPUTF8. Each gets an exact reply, the session survives or
 * is closed on purpose, and nothing that should not pass reaches a mailbox or the receiving MX. (Malformed
 * base64 and "*" in AUTH are in SubmissionAuthIT.)
 */
@ExtendWith(CassandraExtension.class)
class SmtpBadInputIT {
    private static final String MX_ADDRESS = "127.0.0.26";
    private static final String USER = "alice@example.com";
    private static final String PASSWORD = "alice-bad-input-pass";
    private static final String LINE_TOO_LONG_FOR_JAMES = "500 Line length exceeded. See RFC 2821 #4.5.3.1.";
    private static final String STARTTLS_INJECTION_REFUSED = "451 Unable to process request";
    private static final String BARE_LF_IN_DATA = "500 5.0.0 line delimiter must be CRLF";
    private static final String BARE_CR_IN_DATA = "554 5.6.0 Message refused: it contains a CR not followed by LF;"
        + " only CRLF ends a line";
    private static final String NUL_IN_DATA = "554 5.6.0 Message refused: it contains a NUL character";
    private static final String RELAY_DENIED = "550 5.7.1 Requested action not taken: relaying denied";
    private static final String BAD_ADDRESS = "553 5.1.3 Syntax error in recipient address";

    private static DeliveryRig rig;
    private static SmtpSink sink;
    private static DnsmasqServer dns;
    private static DispatchNode node;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, "smtp_bad_input");
        sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.sink.test"));
        dns = rig.dns(List.of("--mx-host=sink.test,mx.sink.test,10", "--host-record=mx.sink.test," + MX_ADDRESS));
        node = rig.node(Map.of("queue.pollInterval", "200ms"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "add-user", USER);
        // so that its message count reads 0 before the first delivery
        HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(inbox()).header("Authorization", node.bearer()).PUT(HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(204);
    }

    @AfterAll
    static void stop() throws Exception {
        rig.close();
    }

    @Test
    void port25NeverRelaysWhateverTheAddressTrick() throws Exception {
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("<bob@sink.test>", RELAY_DENIED);
        expected.put("<bob@no-such-domain.invalid>", RELAY_DENIED);
        expected.put("<postmaster@sink.test>", RELAY_DENIED);
        // percent hack, quoted local parts, bang paths: local domain, but no such user
        expected.put("<bob%sink.test@example.com>", "550 5.1.1 Unknown user: bob%sink.test@example.com");
        expected.put("<bob%sink.test>", "550 5.1.1 Unknown user: bob%sink.test@localhost");
        expected.put("<\"bob@sink.test\"@example.com>", "550 5.1.1 Unknown user: \"bob@sink.test\"@example.com");
        expected.put("<sink.test!bob@example.com>", "550 5.1.1 Unknown user: sink.test!bob@example.com");
        expected.put("<sink.test!bob>", "550 5.1.1 Unknown user: sink.test!bob@localhost");
        expected.put("<nobody@example.com>", "550 5.1.1 Unknown user: nobody@example.com");
        // source routes, trailing dots, IP literals, two @
        expected.put("<@example.com:bob@sink.test>", BAD_ADDRESS);
        expected.put("<@example.com,@example.com:bob@sink.test>", BAD_ADDRESS);
        expected.put("<\"bob@sink.test\">", BAD_ADDRESS);
        expected.put("<bob@sink.test@example.com>", BAD_ADDRESS);
        expected.put("<bob@sink.test.>", BAD_ADDRESS);
        expected.put("<alice@example.com.>", BAD_ADDRESS);
        expected.put("<bob@[127.0.0.26]>", RELAY_DENIED);
        expected.put("<bob@[127.0.0.1]>", RELAY_DENIED);
        expected.put("<bob@[IPv6:::1]>", BAD_ADDRESS);

        long inboxBefore = inboxCount();
        String token = UUID.randomUUID().toString();
        Map<String, String> heard = new LinkedHashMap<>();
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            // a bounce to this sender would land on the receiving MX too
            assertThat(mx.send("MAIL FROM:<victim@sink.test>")).containsExactly("250 2.1.0 Sender <victim@sink.test> OK");
            for (String recipient : expected.keySet()) {
                heard.put(recipient, String.join(" / ", mx.send("RCPT TO:" + recipient)));
            }
            assertThat(mx.send("RCPT TO:<alice@example.com>")).containsExactly("250 2.1.5 Recipient <alice@example.com> OK");
            assertThat(mx.send("DATA")).containsExactly("354 Ok Send data ending with <CRLF>.<CRLF>");
            assertThat(mx.send("Subject: relay attempt " + token + "\r\n\r\nhello\r\n."))
                .containsExactly("250 2.6.0 Message received");
        }
        assertThat(heard).containsExactlyEntriesOf(expected);
        // postmaster of a local domain is still taken (RFC 5321 section 4.5.1)
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            mx.send("MAIL FROM:<someone@elsewhere.test>");
            assertThat(mx.send("RCPT TO:<postmaster@example.com>"))
                .containsExactly("250 2.1.5 Recipient <postmaster@example.com> OK");
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> inboxCount() == inboxBefore + 1);
        assertThat(inboxCount()).isEqualTo(inboxBefore + 1);
        awaitMarkerAtSink();
        assertThat(sinkMessagesWith(token)).as("nothing of the port 25 message, not even a bounce, left the node").isEmpty();
    }

    @Test
    void commandsPipelinedBehindStarttlsAreNeverRun() throws Exception {
        for (int port : List.of(25, 587)) {
            try (RawSmtpSession wire = RawSmtpSession.open(node.port(port), false)) {
                wire.send("EHLO client.test");
                wire.write("STARTTLS\r\nMAIL FROM:<injected@elsewhere.test>\r\n");
                assertThat(wire.reply()).as("port %d", port).containsExactly(STARTTLS_INJECTION_REFUSED);
                assertThat(wire.closedByPeer()).as("port %d", port).isTrue();
            }
        }
        // James 3.8.1 stops looking for this after a DATA command; CommandGuard and MessageGuard look again
        // (a message refused after its final dot, so that nothing lands in alice's mailbox)
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            mx.send("MAIL FROM:<someone@elsewhere.test>");
            mx.send("RCPT TO:<alice@example.com>");
            mx.send("DATA");
            assertThat(mx.send("Subject: before STARTTLS\r\n\r\nhel\0lo\r\n.")).containsExactly(NUL_IN_DATA);
            mx.write("STARTTLS\r\nMAIL FROM:<injected@elsewhere.test>\r\n");
            assertThat(mx.reply()).containsExactly(STARTTLS_INJECTION_REFUSED);
            assertThat(mx.closedByPeer()).isTrue();
        }
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            assertThat(mx.send("DATA").get(0)).startsWith("503 ");
            mx.write("STARTTLS\r\nMAIL FROM:<injected@elsewhere.test>\r\n");
            assertThat(mx.reply()).containsExactly(STARTTLS_INJECTION_REFUSED);
            assertThat(mx.closedByPeer()).isTrue();
        }
        // plaintext sent after the 220, before the handshake, is no TLS record: the connection ends there
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            assertThat(mx.send("STARTTLS")).containsExactly("220 2.0.0 Ready to start TLS");
            mx.write("MAIL FROM:<injected@elsewhere.test>\r\n");
            assertThatThrownBy(mx::wrapTls).isInstanceOf(IOException.class);
        }
    }

    @Test
    void onlyCrlfDotCrlfEndsMessageData() throws Exception {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("\n.\n", BARE_LF_IN_DATA);
        refused.put("\r.\n", BARE_LF_IN_DATA);
        refused.put("\n.\r\n", BARE_LF_IN_DATA);
        refused.put("\r\n.\n", BARE_LF_IN_DATA);
        refused.put("\r.\r\n", BARE_CR_IN_DATA);
        refused.put("\r\n.\r", BARE_CR_IN_DATA);
        refused.put("\r\n\0.\r\n", NUL_IN_DATA);
        List<String> refusedTokens = new ArrayList<>();
        for (Map.Entry<String, String> variant : refused.entrySet()) {
            String token = UUID.randomUUID().toString();
            refusedTokens.add(token);
            try (RawSmtpSession submission = submission()) {
                startMessage(submission, "");
                submission.write(smuggling(token, variant.getKey()));
                String what = "fake end " + visible(variant.getKey());
                assertThat(submission.reply()).as(what).containsExactly(variant.getValue());
                if (variant.getValue().equals(BARE_LF_IN_DATA)) {
                    // James ends the session
                    assertThat(submission.closedByPeer()).as(what).isTrue();
                } else {
                    // the smuggled MAIL, RCPT and DATA were read as data: no reply of theirs comes before this one
                    assertThat(submission.send("NOOP")).as(what).containsExactly("250 2.0.0 OK");
                }
            }
        }
        // the same text with its dot escaped is one message, whose body holds the would-be second one
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession submission = submission()) {
            startMessage(submission, "");
            submission.write(smuggling(token, "\r\n..\r\n"));
            assertThat(submission.reply()).containsExactly("250 2.6.0 Message received");
            assertThat(submission.send("NOOP")).containsExactly("250 2.0.0 OK");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !sinkMessagesWith(token).isEmpty());
        awaitMarkerAtSink();
        List<String> delivered = sinkMessagesWith(token);
        assertThat(delivered).hasSize(1);
        assertThat(delivered.get(0)).contains("Subject: first " + token, "MAIL FROM:<alice@example.com>",
            "Subject: smuggled " + token, "998 characters: " + "z".repeat(982));
        for (String refusedToken : refusedTokens) {
            assertThat(sinkMessagesWith(refusedToken)).as("token %s", refusedToken).isEmpty();
        }
    }

    @Test
    void overLongCommandAndDataLinesGetPreciseReplies() throws Exception {
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            assertThat(mx.send("NOOP " + "x".repeat(500))).containsExactly("250 2.0.0 OK");
            assertThat(mx.send("NOOP " + "x".repeat(600)))
                .containsExactly("500 5.5.2 Line too long: at most 512 octets for a command (RFC 5321 section 4.5.3.1.4)");
            assertThat(mx.send("MAIL FROM:<" + "a".repeat(300) + "@elsewhere.test>"))
                .containsExactly("501 5.1.3 Path too long: at most 256 octets (RFC 5321 section 4.5.3.1.3)");
            assertThat(mx.send("MAIL FROM:<someone@elsewhere.test> X-PAD=" + "p".repeat(2100)))
                .containsExactly("500 5.5.2 Line too long: at most 2048 octets for MAIL and RCPT");
            // over James's 8192-octet frame: its own reply, which Dispatch cannot change from a handler
            assertThat(mx.send("NOOP " + "x".repeat(9000))).containsExactly(LINE_TOO_LONG_FOR_JAMES);
            // none of those was taken: the session goes on, and no sender is set yet
            assertThat(mx.send("MAIL FROM:<someone@elsewhere.test>")).containsExactly("250 2.1.0 Sender <someone@elsewhere.test> OK");
        }
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession submission = submission()) {
            startMessage(submission, "");
            submission.write(header(token) + "\r\n" + "y".repeat(999) + "\r\n.\r\n");
            assertThat(submission.reply())
                .containsExactly("554 5.6.0 Message refused: a line is longer than 998 characters (RFC 5322 section 2.1.1)");
            assertThat(submission.send("NOOP")).containsExactly("250 2.0.0 OK");
        }
        awaitMarkerAtSink();
        assertThat(sinkMessagesWith(token)).isEmpty();
    }

    @Test
    void nulAndBareLineEndsInCommandsAreRefused() throws Exception {
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.test");
            String nul = "500 5.5.2 Syntax error: NUL character in command";
            String bare = "500 5.5.2 Syntax error: a command line must end with CRLF (bare CR or LF received)";
            assertThat(mx.send("NOOP\0")).containsExactly(nul);
            assertThat(mx.send("EHLO cl\0ient.test")).containsExactly(nul);
            assertThat(mx.send("MAIL FROM:<someone@elsewhere.test>\0")).containsExactly(nul);
            mx.write("MAIL FROM:<someone@elsewhere.test>\n");
            assertThat(mx.reply()).containsExactly(bare);
            assertThat(mx.send("MAIL FROM:<someone@elsewhere.test>\rRCPT TO:<alice@example.com>")).containsExactly(bare);
            assertThat(mx.send("HELO caf\u00e9.test")).containsExactly("500 5.5.2 Syntax error: 8-bit characters in command");
            // the session goes on, and none of the refused MAIL commands set a sender
            assertThat(mx.send("MAIL FROM:<someone@elsewhere.test>")).containsExactly("250 2.1.0 Sender <someone@elsewhere.test> OK");
        }
    }

    @Test
    void eightBitAddressesAndHeadersNeedSmtputf8WhichIsNotOffered() throws Exception {
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession submission = submission()) {
            assertThat(submission.send("MAIL FROM:<alice@example.com> SMTPUTF8"))
                .containsExactly("555 5.5.4 SMTPUTF8 is not offered by this server");
            assertThat(submission.send("MAIL FROM:<alic\u00e9@example.com>"))
                .containsExactly("553 5.6.7 Non-ASCII addresses need SMTPUTF8, which this server does not offer");
            assertThat(submission.send("MAIL FROM:<alice@example.com> BODY=8BITMIME")).containsExactly(
                "250 2.1.0 Sender <alice@example.com> OK");
            assertThat(submission.send("RCPT TO:<b\u00f6b@sink.test>"))
                .containsExactly("553 5.6.7 Non-ASCII addresses need SMTPUTF8, which this server does not offer");
            assertThat(submission.send("RCPT TO:<bob@sink.test>")).containsExactly("250 2.1.5 Recipient <bob@sink.test> OK");
            assertThat(submission.send("DATA").get(0)).startsWith("354");
            submission.write("From: alice@example.com\r\nTo: bob@sink.test\r\nSubject: caf\u00e9 " + token + "\r\n\r\nhello\r\n.\r\n");
            assertThat(submission.reply()).containsExactly("554 5.6.9 Message refused: 8-bit characters in a header need"
                + " SMTPUTF8, which this server does not offer; use RFC 2047 encoded-words");
            assertThat(submission.send("NOOP")).containsExactly("250 2.0.0 OK");
        }
        // 8-bit in the body is what 8BITMIME is for
        String bodyToken = UUID.randomUUID().toString();
        try (RawSmtpSession submission = submission()) {
            startMessage(submission, " BODY=8BITMIME");
            submission.write(header(bodyToken) + "\r\ncaf\u00e9 cr\u00e8me\r\n.\r\n");
            assertThat(submission.reply()).containsExactly("250 2.6.0 Message received");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !sinkMessagesWith(bodyToken).isEmpty());
        assertThat(sinkMessagesWith(bodyToken).get(0)).contains("caf\u00e9 cr\u00e8me");
        assertThat(sinkMessagesWith(token)).isEmpty();
    }

    /** A session on 587 after STARTTLS and AUTH PLAIN as alice. */
    private static RawSmtpSession submission() throws Exception {
        RawSmtpSession wire = RawSmtpSession.open(node.port(587), false);
        wire.send("EHLO client.test");
        wire.startTls();
        wire.send("EHLO client.test");
        String credentials = Base64.getEncoder().encodeToString(("\0" + USER + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        assertThat(wire.send("AUTH PLAIN " + credentials)).containsExactly("235 2.7.0 Authentication successful");
        return wire;
    }

    /** MAIL, RCPT to the receiving MX, DATA. */
    private static void startMessage(RawSmtpSession submission, String mailParameters) throws IOException {
        assertThat(submission.send("MAIL FROM:<alice@example.com>" + mailParameters).get(0)).startsWith("250");
        assertThat(submission.send("RCPT TO:<bob@sink.test>").get(0)).startsWith("250");
        assertThat(submission.send("DATA")).containsExactly("354 Ok Send data ending with <CRLF>.<CRLF>");
    }

    private static String header(String token) {
        return "From: alice@example.com\r\nTo: bob@sink.test\r\nSubject: test " + token + "\r\n";
    }

    /** A message ending with a fake end of data, then a whole second transaction, then the real end. */
    private static String smuggling(String token, String fakeEnd) {
        return "From: alice@example.com\r\nTo: bob@sink.test\r\nSubject: first " + token + "\r\n\r\n"
            + "998 characters: " + "z".repeat(982) + "\r\n"
            + "body 1" + fakeEnd
            + "MAIL FROM:<alice@example.com>\r\nRCPT TO:<bob@sink.test>\r\nDATA\r\n"
            + "From: ceo@example.com\r\nTo: bob@sink.test\r\nSubject: smuggled " + token + "\r\n\r\nsmuggled\r\n.\r\n";
    }

    private static String visible(String text) {
        return text.replace("\r", "<CR>").replace("\n", "<LF>").replace("\0", "<NUL>");
    }

    /**
     * Submits a marker to the receiving MX and waits for it: anything that was going to leave the node from
     * earlier in the test has had as long as the marker to arrive, and a moment more.
     */
    private static void awaitMarkerAtSink() throws Exception {
        String marker = UUID.randomUUID().toString();
        try (RawSmtpSession submission = submission()) {
            startMessage(submission, "");
            submission.write(header(marker) + "\r\nmarker\r\n.\r\n");
            assertThat(submission.reply()).containsExactly("250 2.6.0 Message received");
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> !sinkMessagesWith(marker).isEmpty());
        // James's spool and the delivery workers run in parallel: allow for a little reordering
        Thread.sleep(1000);
    }

    private static List<String> sinkMessagesWith(String token) throws IOException {
        return sink.messages().stream().filter(message -> message.contains(token)).collect(Collectors.toList());
    }

    /**
     * A chain of forwards longer than James's mapping limit (10) makes alias rewriting fail (James refuses to create
     * loops, not long chains); mail from port 25 is then kept, never bounced to a forgeable sender.
     */
    @Test
    void port25MailWhoseAliasRewritingFailsIsKeptNotBounced() throws Exception {
        for (int n = 1; n <= 12; n++) {
            HttpResponse<String> user = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + "/users/chain" + n
                + "@example.com")).header("Authorization", node.bearer()).PUT(HttpRequest.BodyPublishers.ofString("{\"password\":\"chain-pass-1-long\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(user.statusCode()).as(user.body()).isBetween(200, 299);
            if (n > 1) {
                put("/address/forwards/chain" + (n - 1) + "@example.com/targets/chain" + n + "@example.com");
            }
        }
        String token = UUID.randomUUID().toString();
        try (RawSmtpSession session = RawSmtpSession.open(node.port(25), false)) {
            assertThat(session.sendForFirstLine("EHLO outside.test")).startsWith("250");
            assertThat(session.sendForFirstLine("MAIL FROM:<victim@sink.test>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<chain1@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            session.write("From: victim@sink.test\r\nSubject: loop " + token + "\r\n\r\nround and round\r\n.\r\n");
            assertThat(session.reply().get(0)).startsWith("250");
        }
        URI kept = URI.create(node.webadmin() + "/mailRepositories/" + java.net.URLEncoder.encode("var/mail/rrt-error/",
            StandardCharsets.UTF_8) + "/mails");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(kept).header("Authorization", node.bearer()).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && !response.body().equals("[]");
        });
        // a bounce would have been queued at once: a message submitted after it and delivered shows it did not come
        String marker = UUID.randomUUID().toString();
        assertThat(Submission.send(node.port(587), USER, PASSWORD, USER, "marker@sink.test",
            "From: " + USER + "\r\nSubject: " + marker + "\r\n\r\nafter the loop\r\n")).startsWith("250");
        await().atMost(Duration.ofSeconds(30)).until(() -> sink.messages().stream().anyMatch(m -> m.contains(marker)));
        assertThat(node.admin("queue", "list")).doesNotContain("victim@sink.test");
        assertThat(sink.messages()).noneMatch(message -> message.contains(token) || message.contains("victim@sink.test"));
    }

    private static void put(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + path))
            .header("Authorization", node.bearer())
            .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
    }

    private static URI inbox() {
        return URI.create(node.webadmin() + "/users/" + USER + "/mailboxes/INBOX");
    }

    private static long inboxCount() throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(inbox() + "/messageCount"))
            .header("Authorization", node.bearer()).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Long.parseLong(response.body().trim());
    }

    /** A raw SMTP connection: exact bytes out, every reply line in, and whether the server hung up. */
}
