package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.dispatchmail.it.support.SaslClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/** Per-login limits hold across two James + Dispatch nodes sharing one Cassandra. */
@ExtendWith(CassandraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SendingLimitsIT {
    private static final String LOGIN = "frank@example.com";
    private static final String PASSWORD = "frank-limit-password";
    private static DispatchNode first;
    private static DispatchNode second;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        Map<String, String> shared = Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", "limits_it",
            "submission.passwordIterations", "20000",
            "submission.maxMessagesPerHour", "3",
            "submission.maxRecipientsPerMessage", "2");
        first = DispatchNode.start(shared);
        second = DispatchNode.start(shared);
        first.admin("add-domain", "example.com");
        second.admin("add-domain", "example.com");
        first.adminWithInput(PASSWORD + "\n", "submission", "add", LOGIN);
    }

    @AfterAll
    static void stop() throws Exception {
        for (DispatchNode node : new DispatchNode[] {first, second}) {
            if (node != null) {
                node.close();
            }
        }
    }

    /** One message (or the refusal that stopped it), through a node's submissions port. */
    private static String submit(DispatchNode node, String... recipients) throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD))).startsWith("235");
            String mail = session.sendForFirstLine("MAIL FROM:<" + LOGIN + ">");
            if (!mail.startsWith("250")) {
                return mail;
            }
            for (String recipient : recipients) {
                String rcpt = session.sendForFirstLine("RCPT TO:<" + recipient + ">");
                if (!rcpt.startsWith("250")) {
                    return rcpt;
                }
            }
            session.sendForFirstLine("DATA");
            return session.sendForFirstLine("From: " + LOGIN + "\r\nSubject: limits\r\n\r\nbody\r\n.");
        }
    }

    @Test
    @Order(2)
    void theHourlyMessageLimitCountsWhatEveryNodeAccepted() throws Exception {
        assertThat(submit(first, "a@example.com")).startsWith("250");
        assertThat(submit(second, "b@example.com")).startsWith("250");
        assertThat(submit(first, "c@example.com")).startsWith("250");

        assertThat(submit(second, "d@example.com"))
            .isEqualTo("451 4.7.1 Sending limit: login " + LOGIN + " reached its limit of 3 messages per hour; try again later");
        assertThat(submit(first, "d@example.com")).startsWith("451 4.7.1 ");
    }

    /** Runs first: it completes no message, so it uses none of the hour's allowance. */
    @Test
    @Order(1)
    void aMessageTakesAtMostTheConfiguredNumberOfRecipients() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(first.port(465), true)) {
            session.send("EHLO client.test");
            session.send("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD));
            assertThat(session.sendForFirstLine("MAIL FROM:<" + LOGIN + ">")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<a@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<b@example.com>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<c@example.com>"))
                .isEqualTo("452 4.5.3 Too many recipients for one message (at most 2); send the others in another message");
        }
    }
}
