package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.core.secrets.CassandraClusterSecrets;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsSettings;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DeliveryRig;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SmtpSink;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/**
 * Forwarding with SRS, end to end: mail that comes in on port 25 for a local address forwarded to another domain
 * reaches that domain's real receiver with an SRS0 envelope sender in srs.domain; a bounce to that address, on port
 * 25, is accepted and reaches the original sender's receiver; forged, expired and malformed SRS addresses are
 * refused at RCPT; a key rotation keeps old addresses valid until the old key is retired.
 */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SrsForwardingIT {
    private static final String KEYSPACE = "srs_forwarding";
    private static final String SRS_DOMAIN = "fwd.example.com";
    private static final String FORWARD_TARGET_MX = "127.0.0.26";
    private static final String ORIGIN_MX = "127.0.0.27";
    private static final Pattern ENVELOPE_SENDER = Pattern.compile("(?m)^X-Mail-Args: <([^>]*)>");
    private static final Pattern ENVELOPE_RECIPIENT = Pattern.compile("(?m)^X-Rcpt-Args: <([^>]*)>");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static DeliveryRig rig;
    private static SmtpSink forwardTarget;
    private static SmtpSink origin;
    private static DnsmasqServer dns;
    private static DispatchNode node;
    private static CqlSession session;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        rig = new DeliveryRig(cassandra, KEYSPACE);
        forwardTarget = rig.peer(SmtpSink.start(FORWARD_TARGET_MX, rig.remotePort(), "mx.remote.test"));
        origin = rig.peer(SmtpSink.start(ORIGIN_MX, rig.remotePort(), "mx.origin.test"));
        dns = rig.dns(List.of(
            "--mx-host=remote.test,mx.remote.test,10", "--host-record=mx.remote.test," + FORWARD_TARGET_MX,
            "--mx-host=origin.test,mx.origin.test,10", "--host-record=mx.origin.test," + ORIGIN_MX,
            "--mx-host=null.test,.,0"));
        node = rig.node(Map.of(
            "delivery.heloName", "dispatch.example.com",
            "queue.pollInterval", "200ms",
            "srs.domain", SRS_DOMAIN));
        node.admin("add-domain", "example.com");
        node.adminWithInput("correct horse battery\n", "add-user", "carol@example.com");
        forward("carol@example.com", "bob@remote.test");
        node.adminWithInput("correct horse battery\n", "add-user", "frank@example.com");
        forward("frank@example.com", "frank@null.test");
        session = TestKeyspace.of(cassandra, KEYSPACE).connect();
    }

    @AfterAll
    static void stop() throws Exception {
        if (session != null) {
            session.close();
        }
        rig.close();
    }

    private static void forward(String base, String target) throws Exception {
        HttpResponse<String> forward = HTTP.send(HttpRequest.newBuilder(
                URI.create(node.webadmin() + "/address/forwards/" + base + "/targets/" + target))
                .header("Authorization", node.bearer())
            .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(forward.statusCode()).as(forward.body()).isEqualTo(204);
    }

    /** SRS addresses as another node of the cluster makes them (same keys in Cassandra), at a chosen time. */
    private static SenderRewriting srsAt(Clock clock) {
        return new SenderRewriting(SrsSettings.of(SRS_DOMAIN, Duration.ofDays(21)),
            new CassandraClusterSecrets(session, KEYSPACE, Clock.systemUTC(), new SecureRandom()), clock);
    }

    private static String srsAddressNow(String sender) {
        return srsAt(Clock.systemUTC()).forward(sender).address().orElseThrow();
    }

    private static void sendOnPort25(String from, String to, String token) throws Exception {
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO client.origin.test");
            assertThat(mx.sendForFirstLine("MAIL FROM:<" + from + ">")).startsWith("250");
            assertThat(mx.sendForFirstLine("RCPT TO:<" + to + ">")).startsWith("250");
            assertThat(mx.sendForFirstLine("DATA")).startsWith("354");
            assertThat(mx.sendForFirstLine("From: " + (from.isEmpty() ? "MAILER-DAEMON@remote.test" : from)
                + "\r\nTo: " + to + "\r\nSubject: " + token + "\r\n\r\nbody " + token + "\r\n.")).startsWith("250");
        }
    }

    private static String received(SmtpSink sink, String token) throws Exception {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
            .until(() -> !sink.messagesWith(token).isEmpty());
        return sink.messagesWith(token).get(0);
    }

    private static String field(Pattern pattern, String dump) {
        Matcher matcher = pattern.matcher(dump);
        assertThat(matcher.find()).as("envelope line in %s", dump).isTrue();
        return matcher.group(1);
    }

    private static String rcpt(String recipient) throws Exception {
        try (RawSmtpSession mx = RawSmtpSession.open(node.port(25), false)) {
            mx.send("EHLO mailer.remote.test");
            assertThat(mx.sendForFirstLine("MAIL FROM:<>")).startsWith("250");
            return mx.sendForFirstLine("RCPT TO:<" + recipient + ">");
        }
    }

    @Test
    @Order(1)
    void forwardedMailLeavesWithAnSrsSenderAndABounceToItReachesTheOriginalSender() throws Exception {
        String token = UUID.randomUUID().toString();
        sendOnPort25("alice@origin.test", "carol@example.com", token);

        String forwarded = received(forwardTarget, token);
        assertThat(field(ENVELOPE_RECIPIENT, forwarded)).isEqualTo("bob@remote.test");
        String srsSender = field(ENVELOPE_SENDER, forwarded);
        assertThat(srsSender).matches("SRS0=[A-Za-z0-9+/]{6}=[A-Z2-7]{2}=origin\\.test=alice@fwd\\.example\\.com");

        // srs.domain is not a domain of James here: the bounce is still taken, and sent on
        assertThat(rcpt(srsSender)).startsWith("250 2.1.5 ");
        String bounceToken = UUID.randomUUID().toString();
        sendOnPort25("", srsSender, bounceToken);
        String bounce = received(origin, bounceToken);
        assertThat(field(ENVELOPE_RECIPIENT, bounce)).isEqualTo("alice@origin.test");
        assertThat(field(ENVELOPE_SENDER, bounce)).isEmpty();
    }

    @Test
    @Order(2)
    void aForwardThatCannotBeDeliveredIsReportedToTheOriginalSenderThroughItsSrsAddress() throws Exception {
        // frank@example.com forwards to a domain with a null MX: Dispatch bounces to the SRS sender
        String token = UUID.randomUUID().toString();
        sendOnPort25("grace@origin.test", "frank@example.com", token);

        String report = received(origin, token);
        assertThat(field(ENVELOPE_RECIPIENT, report)).isEqualTo("grace@origin.test");
        assertThat(field(ENVELOPE_SENDER, report)).isEmpty();
        assertThat(report).contains("Content-Type: multipart/report").contains("frank@null.test");
    }

    @Test
    @Order(3)
    void forgedExpiredAndMalformedSrsAddressesAreRefusedAtRcpt() throws Exception {
        String valid = srsAddressNow("alice@origin.test");
        String forged = "SRS0=" + (valid.startsWith("SRS0=AAAAAA") ? "BBBBBB" : "AAAAAA") + valid.substring(11);
        String expired = srsAt(Clock.offset(Clock.systemUTC(), Duration.ofDays(-30))).forward("alice@origin.test")
            .address().orElseThrow();

        assertThat(rcpt(forged)).isEqualTo("550 5.7.1 Invalid SRS address: its hash does not check;"
            + " this server takes bounces only for addresses it made");
        assertThat(rcpt(expired)).isEqualTo("550 5.7.1 Expired SRS address: it was made 30 days ago;"
            + " bounces are taken only for a limited time");
        assertThat(rcpt("SRS0=abcdef@" + SRS_DOMAIN)).startsWith("550 5.7.1 Malformed SRS address: ");
        assertThat(rcpt("srs1=abcdef=origin.test@" + SRS_DOMAIN)).startsWith("550 5.7.1 Malformed SRS address: ");
        assertThat(rcpt(valid.toLowerCase(java.util.Locale.ROOT))).as("a case-folded address still checks")
            .startsWith("250 2.1.5 ");
        // any other address of srs.domain is not SRS's business: the MX port's relay refusal answers
        assertThat(rcpt("alice@" + SRS_DOMAIN)).startsWith("5").doesNotContain("SRS");
    }

    @Test
    @Order(4)
    void bouncesAreSentOnWhenSrsDomainIsAlsoADomainOfJames() throws Exception {
        node.admin("add-domain", SRS_DOMAIN);
        String srsAddress = srsAddressNow("dave@origin.test");

        String token = UUID.randomUUID().toString();
        sendOnPort25("", srsAddress, token);

        assertThat(field(ENVELOPE_RECIPIENT, received(origin, token))).isEqualTo("dave@origin.test");
        assertThat(rcpt("SRS0=AAAAAA=" + srsAddress.split("=", 3)[2])).startsWith("550 5.7.1 ");
    }

    @Test
    @Order(5)
    void aRotatedKeyKeepsOldAddressesValidUntilItIsRetired() throws Exception {
        String before = srsAddressNow("erin@origin.test");

        assertThat(node.admin("srs", "rotate")).contains("VERSION").containsPattern("(?m)^2 +\\S+ +signs and checks$")
            .containsPattern("(?m)^1 +\\S+ +checks$");
        String after = srsAddressNow("erin@origin.test");
        assertThat(after).isNotEqualTo(before);
        assertThat(rcpt(before)).startsWith("250 2.1.5 ");
        assertThat(rcpt(after)).startsWith("250 2.1.5 ");

        assertThatThrownBy(() -> node.admin("srs", "retire")).hasMessageContaining("HTTP 409")
            .hasMessageContaining("take bounces until");
        assertThat(node.admin("srs", "retire", "--force")).doesNotContainPattern("(?m)^1 ");
        assertThat(node.admin("srs", "keys")).containsPattern("(?m)^2 +\\S+ +signs and checks$");

        assertThat(rcpt(before)).startsWith("550 5.7.1 Invalid SRS address");
        assertThat(rcpt(after)).startsWith("250 2.1.5 ");
    }
}
