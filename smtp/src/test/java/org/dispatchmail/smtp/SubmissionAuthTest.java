package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.List;
import java.util.Queue;
import java.util.stream.Collectors;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.BaseRequest;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.user.memory.MemoryUsersRepository;
import org.dispatchmail.core.submission.AuthChecks;
import org.dispatchmail.core.submission.AuthMechanisms;
import org.dispatchmail.core.submission.InMemoryAuthThrottle;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.core.submission.ThrottleSettings;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SubmissionAuthTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final String PASSWORD = "correct horse battery staple";

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final SubmissionUsers users = TestDoubles.users(clock);
    private final MemoryUsersRepository jamesUsers =
        MemoryUsersRepository.withVirtualHosting(new TestDoubles.LocalDomains("example.com"));
    /** Credential checks wait here until the test runs them, as they would wait for the hashing pool. */
    private final Queue<Runnable> hashing = new ArrayDeque<>();
    private final AuthChecks checks = AuthChecks.using(new InMemoryAuthThrottle(new ThrottleSettings(10, 10,
        Duration.ofMinutes(10)), clock), hashing::add, (delay, task) -> task.run(), 2, clock);
    private final SubmissionAuth auth = new SubmissionAuth(checks, users, AuthMechanisms.defaults(), jamesUsers);

    @BeforeEach
    void logins() throws Exception {
        users.add("alice@example.com", PASSWORD, List.of());
        jamesUsers.addUser(Username.of("bob@example.com"), "bobs password");
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Response auth(SubmissionAuth auth, TestSession test, String argument) {
        return auth.onCommand(test.session, new BaseRequest("AUTH", argument));
    }

    /** Runs the credential checks handed to the pool, and returns what the client has been sent. */
    private List<String> afterChecks(TestSession test) {
        while (!hashing.isEmpty()) {
            hashing.poll().run();
        }
        return test.written().stream().map(response -> response.getRetCode() + " " + String.join("", response.getLines()))
            .collect(Collectors.toList());
    }

    @Test
    void authIsAnnouncedInsideTlsOnlyAndNotOnceLoggedIn() {
        assertThat(auth.getImplementedEsmtpFeatures(TestSession.plain(587).session)).isEmpty();
        assertThat(auth.getImplementedEsmtpFeatures(TestSession.tls(587).session))
            .containsExactly("AUTH " + AuthMechanisms.defaults().announced());
        assertThat(auth.getImplementedEsmtpFeatures(TestSession.loggedIn("alice@example.com").session)).isEmpty();
    }

    @Test
    void withoutTlsAuthIsRefusedBeforeAnyCredentialIsSent() {
        Response response = auth(auth, TestSession.plain(587), "PLAIN " + base64("\0alice@example.com\0" + PASSWORD));

        assertThat(response.getRetCode()).isEqualTo("538");
        assertThat(response.getLines()).containsExactly("538 5.7.11 Encryption required for requested authentication mechanism");
        assertThat(hashing).isEmpty();
    }

    @Test
    void plainWithTheRightPasswordLogsInAsTheStoredLogin() {
        TestSession test = TestSession.tls(587);

        Response now = auth(auth, test, "PLAIN " + base64("\0Alice@Example.com\0" + PASSWORD));

        assertThat(now).isSameAs(DeferredReply.LATER);
        assertThat(test.isReadable()).as("no more lines are read while the check runs").isFalse();
        assertThat(afterChecks(test)).containsExactly("235 235 2.7.0 Authentication successful");
        assertThat(test.isReadable()).isTrue();
        assertThat(test.session.getUsername()).isEqualTo(Username.of("alice@example.com"));
        assertThat(test.session.isRelayingAllowed()).isTrue();
        assertThat(test.session.getAttachment(SubmissionAuth.MECHANISM, ProtocolSession.State.Connection))
            .contains("PLAIN");
    }

    @Test
    void aWrongPasswordIsRefusedWith535AndLeavesTheSessionAnonymous() {
        TestSession test = TestSession.tls(587);

        auth(auth, test, "PLAIN " + base64("\0alice@example.com\0not the password"));

        assertThat(afterChecks(test)).containsExactly("535 535 5.7.8 Authentication credentials invalid");
        assertThat(test.session.getUsername()).isNull();
        assertThat(test.session.isRelayingAllowed()).isFalse();
    }

    @Test
    void jamesOwnUsersLogInWhenTheyAreNoSubmissionLogin() {
        TestSession test = TestSession.tls(587);

        auth(auth, test, "PLAIN " + base64("\0bob@example.com\0bobs password"));

        assertThat(afterChecks(test)).containsExactly("235 235 2.7.0 Authentication successful");
        assertThat(test.session.getUsername()).isEqualTo(Username.of("bob@example.com"));
    }

    @Test
    void loginAsksForTheUserThenThePassword() {
        TestSession test = TestSession.tls(587);

        Response username = auth(auth, test, "LOGIN");
        Response password = test.send(base64("alice@example.com"));
        Response last = test.send(base64(PASSWORD));

        assertThat(username.getLines()).containsExactly("334 " + base64("Username:"));
        assertThat(password.getLines()).containsExactly("334 " + base64("Password:"));
        assertThat(last).isSameAs(DeferredReply.LATER);
        assertThat(afterChecks(test)).containsExactly("235 235 2.7.0 Authentication successful");
    }

    @Test
    void aStarCancelsTheExchange() {
        TestSession test = TestSession.tls(587);
        auth(auth, test, "LOGIN");

        Response cancelled = test.send("*");

        assertThat(cancelled.getLines()).containsExactly("501 5.7.0 Authentication cancelled");
        assertThat(test.waitsForALine()).isFalse();
    }

    @Test
    void malformedCommandsAreAnsweredAtOnce() {
        TestSession test = TestSession.tls(587);

        assertThat(auth(auth, test, "").getLines()).containsExactly("501 5.5.4 Syntax: AUTH mechanism [initial-response]");
        assertThat(auth(auth, test, "DIGEST-MD5").getLines()).containsExactly(
            "504 5.5.4 Unrecognized authentication mechanism; this server offers " + AuthMechanisms.defaults().announced());
        assertThat(auth(auth, test, "PLAIN %%%").getLines())
            .containsExactly("501 5.5.2 Cannot decode the response: it is not base64");
        assertThat(auth(auth, TestSession.loggedIn("alice@example.com"), "PLAIN").getLines())
            .containsExactly("503 5.5.1 Already authenticated");
        assertThat(hashing).isEmpty();
    }

    @Test
    void aLinePipelinedBehindAuthIsAnsweredAfterIt() {
        TestSession test = TestSession.tls(587);
        auth(auth, test, "PLAIN " + base64("\0alice@example.com\0" + PASSWORD));

        assertThat(test.send("MAIL FROM:<alice@example.com>")).as("held, not answered").isNull();

        assertThat(afterChecks(test)).containsExactly("235 235 2.7.0 Authentication successful",
            "503 503 5.5.0 Improper command pipelining after AUTH");
    }

    @Test
    void theFailureDelayIsBounded() {
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty("failureDelayMillis", "60000");

        assertThatThrownBy(() -> auth.init(config)).isInstanceOf(ConfigurationException.class)
            .hasMessage("smtpserver.xml: SubmissionAuth <failureDelayMillis> must be 0 to 30000, not 60000");
    }
}
