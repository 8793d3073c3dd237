package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

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
 * SMTP AUTH on the submission listeners over real sockets: every mechanism, the exact refusals,
 * throttling, sender alignment, and the login admin commands.
 */
@ExtendWith(CassandraExtension.class)
class SubmissionAuthIT {
    private static final String LOGIN = "carol@example.com";
    private static final String PASSWORD = "carol-secret-pass";
    private static final AtomicInteger SOURCES = new AtomicInteger();
    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", "submission_auth",
            "submission.passwordIterations", "20000",
            "submission.mechanisms", "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256"));
        node.admin("add-domain", "example.com");
        node.adminWithInput(PASSWORD + "\n", "submission", "add", LOGIN, "--senders", "@newsletter.example");
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    /**
     * A session on 587 after STARTTLS and EHLO, from a loopback address of its own: failures count per address
     * until the window has passed, so tests that fail on purpose must not add up under one address.
     */
    private static RawSmtpSession secured() throws Exception {
        RawSmtpSession session = RawSmtpSession.open(node.port(587), false, "127.0.10." + SOURCES.incrementAndGet());
        session.send("EHLO client.test");
        session.startTls();
        List<String> ehlo = session.send("EHLO client.test");
        assertThat(ehlo).contains("250-AUTH PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256");
        return session;
    }

    @Test
    void plainAndLoginAcceptTheRightPasswordOnly() throws Exception {
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD)))
                .isEqualTo("235 2.7.0 Authentication successful");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD)))
                .isEqualTo("503 5.5.1 Already authenticated");
        }
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, "wrong password")))
                .isEqualTo("535 5.7.8 Authentication credentials invalid");
        }
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH LOGIN")).isEqualTo("334 " + SaslClient.base64("Username:"));
            assertThat(session.sendForFirstLine(SaslClient.base64(LOGIN))).isEqualTo("334 " + SaslClient.base64("Password:"));
            assertThat(session.sendForFirstLine(SaslClient.base64(PASSWORD))).isEqualTo("235 2.7.0 Authentication successful");
        }
    }

    @Test
    void everyMechanismWorksOnEverySubmissionPort() throws Exception {
        for (int port : List.of(587, 2587, 2525, 465, 2465)) {
            boolean implicitTls = port == 465 || port == 2465;
            for (String mechanism : List.of("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")) {
                try (RawSmtpSession session = RawSmtpSession.open(node.port(port), implicitTls)) {
                    session.send("EHLO client.test");
                    if (!implicitTls) {
                        session.startTls();
                        session.send("EHLO client.test");
                    }
                    assertThat(authenticate(session, mechanism)).as("%s on %d", mechanism, port)
                        .isEqualTo("235 2.7.0 Authentication successful");
                }
            }
        }
    }

    private static String authenticate(RawSmtpSession session, String mechanism) throws Exception {
        switch (mechanism) {
            case "PLAIN":
                return session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD));
            case "LOGIN":
                session.sendForFirstLine("AUTH LOGIN " + SaslClient.base64(LOGIN));
                return session.sendForFirstLine(SaslClient.base64(PASSWORD));
            case "CRAM-MD5":
                String challenge = SaslClient.unbase64(session.sendForFirstLine("AUTH CRAM-MD5").substring(4));
                return session.sendForFirstLine(SaslClient.cramMd5(LOGIN, PASSWORD, challenge));
            default:
                SaslClient.Scram scram = new SaslClient.Scram(LOGIN, PASSWORD, "rOprNGfwEbeRWgbNEkqO");
                String serverFirst = session.sendForFirstLine("AUTH SCRAM-SHA-256 " + SaslClient.base64(scram.clientFirst()));
                session.sendForFirstLine(SaslClient.base64(scram.clientFinal(SaslClient.unbase64(serverFirst.substring(4)))));
                return session.sendForFirstLine("");
        }
    }

    @Test
    void cramMd5OnTheImplicitTlsPort() throws Exception {
        for (String password : List.of(PASSWORD, "not the password")) {
            try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true)) {
                session.send("EHLO client.test");
                String challenge = session.sendForFirstLine("AUTH CRAM-MD5");
                assertThat(challenge).startsWith("334 ");
                String decoded = SaslClient.unbase64(challenge.substring(4));
                assertThat(decoded).matches("<[^@>]+@[^>]+>");
                String reply = session.sendForFirstLine(SaslClient.cramMd5(LOGIN, password, decoded));
                assertThat(reply).isEqualTo(password.equals(PASSWORD) ? "235 2.7.0 Authentication successful"
                    : "535 5.7.8 Authentication credentials invalid");
            }
        }
    }

    @Test
    void scramSha256ProvesBothSides() throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(2465), true)) {
            session.send("EHLO client.test");
            SaslClient.Scram scram = new SaslClient.Scram(LOGIN, PASSWORD, "fyko+d2lbbFgONRv9qkxdawL");
            String serverFirst = session.sendForFirstLine("AUTH SCRAM-SHA-256 " + SaslClient.base64(scram.clientFirst()));
            assertThat(serverFirst).startsWith("334 ");
            String serverFinal = session.sendForFirstLine(SaslClient.base64(scram.clientFinal(
                SaslClient.unbase64(serverFirst.substring(4)))));
            assertThat(serverFinal).startsWith("334 ");
            assertThat(SaslClient.unbase64(serverFinal.substring(4))).isEqualTo(scram.expectedServerFinal());
            assertThat(session.sendForFirstLine("")).isEqualTo("235 2.7.0 Authentication successful");
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(2465), true)) {
            session.send("EHLO client.test");
            SaslClient.Scram scram = new SaslClient.Scram(LOGIN, "wrong password!", "abcdefghijklmnop");
            String serverFirst = session.sendForFirstLine("AUTH SCRAM-SHA-256 " + SaslClient.base64(scram.clientFirst()));
            assertThat(session.sendForFirstLine(SaslClient.base64(scram.clientFinal(
                SaslClient.unbase64(serverFirst.substring(4)))))).isEqualTo("535 5.7.8 Authentication credentials invalid");
        }
    }

    @Test
    void anUnknownLoginFailsExactlyLikeAWrongPassword() throws Exception {
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("nobody@example.com", PASSWORD)))
                .isEqualTo("535 5.7.8 Authentication credentials invalid");
        }
        try (RawSmtpSession session = secured()) {
            String challenge = SaslClient.unbase64(session.sendForFirstLine("AUTH CRAM-MD5").substring(4));
            assertThat(session.sendForFirstLine(SaslClient.cramMd5("nobody@example.com", PASSWORD, challenge)))
                .isEqualTo("535 5.7.8 Authentication credentials invalid");
        }
    }

    @Test
    void malformedExchangesGetPreciseReplies() throws Exception {
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN %%%not-base64%%%"))
                .isEqualTo("501 5.5.2 Cannot decode the response: it is not base64");
            assertThat(session.sendForFirstLine("AUTH LOGIN")).startsWith("334 ");
            assertThat(session.sendForFirstLine("*")).isEqualTo("501 5.7.0 Authentication cancelled");
            assertThat(session.sendForFirstLine("AUTH GSSAPI")).startsWith("504 5.5.4 ");
            assertThat(session.sendForFirstLine("AUTH")).startsWith("501 5.5.4 ");
            // the session still works after all that
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD))).startsWith("235");
        }
    }

    @Test
    void senderAddressesMustBelongToTheLogin() throws Exception {
        try (RawSmtpSession session = secured()) {
            session.send("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD));
            assertThat(session.sendForFirstLine("MAIL FROM:<dave@example.com>"))
                .isEqualTo("553 5.7.1 Sender address <dave@example.com> is not allowed for login " + LOGIN);
            assertThat(session.sendForFirstLine("MAIL FROM:<offers@newsletter.example>")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<" + LOGIN + ">")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            assertThat(session.sendForFirstLine("From: mallory@evil.example\r\nSubject: hi\r\n\r\nbody\r\n."))
                .isEqualTo("550 5.7.1 From: address <mallory@evil.example> is not allowed for login " + LOGIN);
        }
    }

    @Test
    void repeatedFailuresFromOneAddressAreThrottledForThatAddressOnly() throws Exception {
        String client = "127.0.0.9";
        for (int i = 0; i < 5; i++) {
            try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, client)) {
                session.send("EHLO client.test");
                assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, "guess " + i))).startsWith("535");
            }
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, client)) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD)))
                .isEqualTo("454 4.7.0 Too many failed authentications from your address or for this login;"
                    + " try again later");
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, "127.0.0.10")) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD))).startsWith("235");
        }
    }

    /**
     * An account holder guessing someone else's password cannot reset the count with a good login of its own
     * between guesses: four bad guesses and one good login, three times over, get at most the address's five
     * failures checked; after them every attempt, the good password too, is refused without a check.
     */
    @Test
    void aGoodLoginBetweenGuessesResetsNothing() throws Exception {
        String client = "127.0.0.11";
        List<String> guessReplies = new java.util.ArrayList<>();
        List<String> goodReplies = new java.util.ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 4; i++) {
                guessReplies.add(auth465(client, "victim-a@example.com", "guess " + round + "." + i));
            }
            goodReplies.add(auth465(client, LOGIN, PASSWORD));
        }
        assertThat(guessReplies.stream().filter(reply -> reply.startsWith("535")).count())
            .as("guesses checked: %s", guessReplies).isLessThanOrEqualTo(5);
        assertThat(guessReplies.subList(guessReplies.size() - 4, guessReplies.size())).allMatch(r -> r.startsWith("454 4.7.0"));
        assertThat(goodReplies.get(0)).startsWith("235");
        assertThat(goodReplies.get(2)).startsWith("454 4.7.0");
    }

    /**
     * Ten sessions guessing at once from one address get no more checks than one session would: each is either
     * checked within the address's five failures or refused without a check (the throttle, or the cap on checks
     * in progress from one address).
     */
    @Test
    void parallelSessionsFromOneAddressShareItsLimit() throws Exception {
        String client = "127.0.0.12";
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        List<java.util.concurrent.Future<String>> replies = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                int guess = i;
                replies.add(pool.submit(() -> auth465(client, "victim-b@example.com", "parallel guess " + guess)));
            }
            List<String> answered = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<String> reply : replies) {
                answered.add(reply.get(2, java.util.concurrent.TimeUnit.MINUTES));
            }
            assertThat(answered.stream().filter(reply -> reply.startsWith("535")).count())
                .as("guesses checked: %s", answered).isLessThanOrEqualTo(5);
            assertThat(answered).allMatch(reply -> reply.startsWith("535") || reply.startsWith("454 4.7.0"));
        } finally {
            pool.shutdownNow();
        }
    }

    /** One AUTH PLAIN in a session of its own on the implicit TLS port, from the given address; the first reply line. */
    private static String auth465(String client, String login, String password) throws Exception {
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, client)) {
            session.send("EHLO client.test");
            return session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(login, password));
        }
    }

    @Test
    void theSessionIsTheLoginAsStoredWhateverTheClientTyped() throws Exception {
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("CAROL@Example.COM", PASSWORD)))
                .isEqualTo("235 2.7.0 Authentication successful");
            assertThat(session.sendForFirstLine("MAIL FROM:<" + LOGIN + ">")).startsWith("250");
            assertThat(session.sendForFirstLine("RCPT TO:<" + LOGIN + ">")).startsWith("250");
            assertThat(session.sendForFirstLine("DATA")).startsWith("354");
            assertThat(session.sendForFirstLine("From: " + LOGIN + "\r\nSubject: spelling\r\n\r\nbody\r\n."))
                .startsWith("250");
        }
    }

    @Test
    void guessesAtOneLoginFromManyAddressesAreThrottledForThatLogin() throws Exception {
        String probed = "nobody-probed@example.com";
        for (int i = 0; i < 10; i++) {
            try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, "127.0.6." + (i + 1))) {
                session.send("EHLO client.test");
                assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(probed, "guess " + i)))
                    .startsWith("535");
            }
        }
        try (RawSmtpSession session = RawSmtpSession.open(node.port(465), true, "127.0.6.100")) {
            session.send("EHLO client.test");
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(probed.toUpperCase(), "guess")))
                .startsWith("454 4.7.0");
            // the address itself is not throttled: another login still works from it
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain(LOGIN, PASSWORD))).startsWith("235");
        }
    }

    @Test
    void loginsAreManagedWithTheDocumentedCommands() throws Exception {
        node.adminWithInput("erin-first-password\n", "submission", "add", "erin@example.com");
        assertThat(node.admin("submission", "list")).contains("erin@example.com").contains(LOGIN).contains("@newsletter.example");
        node.adminWithInput("erin-second-password\n", "submission", "password", "erin@example.com");
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("erin@example.com", "erin-first-password")))
                .startsWith("535");
        }
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("erin@example.com", "erin-second-password")))
                .startsWith("235");
        }
        assertThat(node.admin("submission", "remove", "erin@example.com")).contains("removed");
        try (RawSmtpSession session = secured()) {
            assertThat(session.sendForFirstLine("AUTH PLAIN " + SaslClient.plain("erin@example.com", "erin-second-password")))
                .startsWith("535");
        }
    }
}
