package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SaslClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * AUTH with the shipped mechanisms while many sessions fail: failing sessions wait out their delay without holding
 * an SMTP thread, so a valid login is answered meanwhile; one address gets only a few checks at once.
 */
@ExtendWith(CassandraExtension.class)
class AuthUnderLoadIT {
    /** Long, so that "answered before the failures" cannot be a matter of luck. */
    private static final Duration FAILURE_DELAY = Duration.ofSeconds(20);
    private static final String LOGIN = "frank@example.com";
    private static final String PASSWORD = "frank-secret-pass";
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", "auth_under_load",
            "submission.passwordIterations", "20000"),
            xml -> xml.replace("<failureDelayMillis>1000</failureDelayMillis>",
                "<failureDelayMillis>" + FAILURE_DELAY.toMillis() + "</failureDelayMillis>"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "submission", "add", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    private static RawSmtpSession implicitTls(String source) throws Exception {
        RawSmtpSession session = RawSmtpSession.open(node.port(465), true, source);
        session.send("EHLO client.test");
        return session;
    }

    @Test
    void aValidLoginIsAnsweredWhileTwentySessionsWaitOutTheirFailureDelay() throws Exception {
        List<RawSmtpSession> failing = new ArrayList<>();
        try {
            for (int i = 1; i <= 20; i++) {
                RawSmtpSession session = implicitTls("127.0.1." + i);
                session.write("AUTH PLAIN " + SaslClient.plain("nobody" + i + "@example.com", "wrong guess") + "\r\n");
                failing.add(session);
            }
            long started = System.nanoTime();
            try (RawSmtpSession valid = implicitTls("127.0.2.1")) {
                assertThat(valid.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD)))
                    .isEqualTo("235 2.7.0 Authentication successful");
            }
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            // the failing sessions sent first and wait FAILURE_DELAY: the valid login came back well before that
            assertThat(waited).isLessThan(FAILURE_DELAY.dividedBy(2));
            for (RawSmtpSession session : failing) {
                // their answers come at the end of the delay, later than a read usually waits
                session.readTimeout(FAILURE_DELAY.multipliedBy(3));
                assertThat(session.reply().get(0)).isEqualTo("535 5.7.8 Authentication credentials invalid");
            }
        } finally {
            for (RawSmtpSession session : failing) {
                session.close();
            }
        }
    }

    @Test
    void oneAddressGetsAFewChecksAtOnceAndTheNextIsRefusedAtOnce() throws Exception {
        List<RawSmtpSession> waiting = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                RawSmtpSession session = implicitTls("127.0.3.1");
                session.write("AUTH PLAIN " + SaslClient.plain("nobody@example.com", "guess " + i) + "\r\n");
                waiting.add(session);
            }
            // the three are still in their delay; written in order, the fourth comes after them
            try (RawSmtpSession fourth = implicitTls("127.0.3.1")) {
                assertThat(fourth.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD)))
                    .isEqualTo("454 4.7.0 Too many authentications in progress from your address; try again later");
            }
        } finally {
            for (RawSmtpSession session : waiting) {
                session.close();
            }
        }
    }

    @Test
    void cramMd5IsNotOfferedUnlessConfigured() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, "127.0.4.1")) {
            assertThat(session.send("EHLO client.test")).contains("250-AUTH PLAIN LOGIN SCRAM-SHA-256");
            assertThat(session.sendForFirstLine("AUTH CRAM-MD5")).isEqualTo(
                "504 5.5.4 Unrecognized authentication mechanism; this server offers PLAIN LOGIN SCRAM-SHA-256");
        }
    }

    @Test
    void aLinePipelinedBehindAuthIsAnsweredAfterItInOrder() throws Exception {
        try (RawSmtpSession session = implicitTls("127.0.5.1")) {
            session.write("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD) + "\r\nNOOP\r\n");
            assertThat(session.reply().get(0)).isEqualTo("235 2.7.0 Authentication successful");
            // NOOP came in the same read as AUTH (held, then refused) or in a later one (read after the answer)
            assertThat(session.reply().get(0)).isIn("503 5.5.0 Improper command pipelining after AUTH",
                "250 2.0.0 OK");
            assertThat(session.sendForFirstLine("NOOP")).startsWith("250");
        }
    }
}
