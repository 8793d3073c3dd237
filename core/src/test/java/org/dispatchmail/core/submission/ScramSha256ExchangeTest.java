package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.submission.ScramSha256Exchange.Step;
import org.junit.jupiter.api.Test;

class ScramSha256ExchangeTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    // RFC 7677 section 3.
    private static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String SERVER_FIRST =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL =
        "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

    private final TestHashing test = TestHashing.withRfc7677Salt();
    private final InMemorySubmissionUserStore store = new InMemorySubmissionUserStore();
    private final SubmissionUsers users = new SubmissionUsers(store, test.hashing, new MovableClock(T0),
        TestHashing.secrets());

    /** RFC 7677's "user" and "pencil" fail the login and password rules, so they go into the store directly. */
    private void addRfcUser() {
        store.create(new SubmissionUser("user", List.of(), T0, T0, Credentials.derive("pencil", test.hashing)));
    }

    private ScramSha256Exchange exchange() {
        return users.scramSha256Exchange(() -> SERVER_NONCE);
    }

    @Test
    void rfc7677Example() {
        addRfcUser();
        ScramSha256Exchange exchange = exchange();

        Step first = exchange.onClientFirst(CLIENT_FIRST);
        assertThat(first.ok()).isTrue();
        assertThat(first.message()).isEqualTo(SERVER_FIRST);
        assertThat(first.login()).isEmpty();

        Step last = exchange.onClientFinal(CLIENT_FINAL);
        assertThat(last.ok()).isTrue();
        assertThat(last.message()).isEqualTo(SERVER_FINAL);
        assertThat(last.login()).contains("user");
    }

    @Test
    void theProofIsComparedInConstantTime() {
        addRfcUser();
        ScramSha256Exchange exchange = exchange();
        exchange.onClientFirst(CLIENT_FIRST);
        test.comparisons.clear();

        exchange.onClientFinal(CLIENT_FINAL);

        assertThat(test.comparisons).hasSize(1).allSatisfy(lengths -> assertThat(lengths).containsExactly(32, 32));
    }

    @Test
    void aClientThatCouldBindButSeesNoPlusMechanismIsAccepted() {
        addRfcUser();
        ScramClient client = new ScramClient("user", "pencil", "y,,");

        assertThat(client.run(exchange()).login()).contains("user");
    }

    @Test
    void anAuthorizationIdentityEqualToTheLoginIsAccepted() {
        addRfcUser();

        assertThat(new ScramClient("user", "pencil", "n,a=user,").run(exchange()).login()).contains("user");
    }

    @Test
    void aWrongPasswordFailsAtTheProof() {
        addRfcUser();
        Step last = new ScramClient("user", "pencil2", "n,,").run(exchange());

        assertThat(last.ok()).isFalse();
        assertThat(last.message()).isEqualTo("e=invalid-proof");
        assertThat(last.login()).isEmpty();
    }

    @Test
    void anUnknownLoginLooksLikeAKnownOneUntilTheProofAndFailsTheSameWay() {
        Step first = exchange().onClientFirst("n,,n=nobody@example.com,r=abc");
        Step again = exchange().onClientFirst("n,,n=nobody@example.com,r=abc");
        Step other = exchange().onClientFirst("n,,n=someone@example.com,r=abc");

        assertThat(first.ok()).isTrue();
        assertThat(first.message()).matches("r=abc.+,s=[A-Za-z0-9+/]{22}==,i=4096");
        assertThat(salt(again)).isEqualTo(salt(first));
        assertThat(salt(other)).isNotEqualTo(salt(first));

        test.comparisons.clear();
        Step last = new ScramClient("nobody@example.com", "any password at all", "n,,").run(exchange());
        assertThat(last.ok()).isFalse();
        assertThat(last.message()).isEqualTo("e=invalid-proof");
        assertThat(test.comparisons).hasSize(1);
    }

    @Test
    void channelBindingIsRefusedWithAClearReason() {
        Step step = exchange().onClientFirst("p=tls-server-end-point,,n=user,r=abc");

        assertThat(step.ok()).isFalse();
        assertThat(step.message()).isEqualTo("e=channel-binding-not-supported");
        assertThat(step.reason()).contains("tls-server-end-point").contains("without channel binding");
    }

    @Test
    void malformedClientFirstMessagesAreRefused() {
        assertThat(exchange().onClientFirst("x,,n=user,r=abc").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,n=user,r=abc").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,,r=abc").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,,n=user").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,,n=user,r=").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,,n=user,r=a\u00e9").message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst(null).message()).isEqualTo("e=invalid-encoding");
        assertThat(exchange().onClientFirst("n,,n=us=er,r=abc").message()).isEqualTo("e=invalid-username-encoding");
        assertThat(exchange().onClientFirst("n,,n=,r=abc").message()).isEqualTo("e=invalid-username-encoding");
        assertThat(exchange().onClientFirst("n,,m=ext,n=user,r=abc").message()).isEqualTo("e=extensions-not-supported");
        assertThat(exchange().onClientFirst("n,a=admin,n=user,r=abc").message()).isEqualTo("e=other-error");
    }

    @Test
    void escapedCommasAndEqualsInTheUsernameAreDecoded() {
        store.create(new SubmissionUser("a,b=c", List.of(), T0, T0, Credentials.derive("pencil", test.hashing)));

        assertThat(new ScramClient("a,b=c", "pencil", "n,,").run(exchange()).login()).contains("a,b=c");
    }

    @Test
    void theClientFinalMessageMustRepeatTheHeaderAndTheNonce() {
        addRfcUser();
        ScramSha256Exchange wrongBinding = exchange();
        wrongBinding.onClientFirst(CLIENT_FIRST);
        assertThat(wrongBinding.onClientFinal(CLIENT_FINAL.replace("c=biws", "c=eSws")).message())
            .isEqualTo("e=channel-bindings-dont-match");

        ScramSha256Exchange wrongNonce = exchange();
        wrongNonce.onClientFirst(CLIENT_FIRST);
        assertThat(wrongNonce.onClientFinal(CLIENT_FINAL.replace("hNlF$k0", "hNlF$k1")).message())
            .isEqualTo("e=other-error");

        ScramSha256Exchange badProof = exchange();
        badProof.onClientFirst(CLIENT_FIRST);
        assertThat(badProof.onClientFinal(CLIENT_FINAL.replace("p=dH", "p=!H")).message())
            .isEqualTo("e=invalid-encoding");
    }

    @Test
    void stepsOutOfOrderOrRepeatedFail() {
        addRfcUser();
        assertThat(exchange().onClientFinal(CLIENT_FINAL).message()).isEqualTo("e=other-error");

        ScramSha256Exchange exchange = exchange();
        exchange.onClientFirst(CLIENT_FIRST);
        assertThat(exchange.onClientFinal(CLIENT_FINAL).ok()).isTrue();
        assertThat(exchange.onClientFinal(CLIENT_FINAL).ok()).isFalse();
        assertThat(exchange.onClientFirst(CLIENT_FIRST).ok()).isFalse();

        ScramSha256Exchange failedFirst = exchange();
        failedFirst.onClientFirst("p=tls-unique,,n=user,r=abc");
        assertThat(failedFirst.onClientFinal(CLIENT_FINAL).ok()).isFalse();
    }

    @Test
    void aStartedExchangeUsesARandomPrintableServerNonce() {
        TestHashing fast = TestHashing.fast();
        SubmissionUsers service = new SubmissionUsers(new InMemorySubmissionUserStore(), fast.hashing,
            new MovableClock(T0), TestHashing.secrets());
        String one = service.startScramSha256().onClientFirst("n,,n=a@example.com,r=abc").message();
        String two = service.startScramSha256().onClientFirst("n,,n=a@example.com,r=abc").message();

        assertThat(one).matches("r=abc[A-Za-z0-9+/]{24},s=.*");
        assertThat(nonce(one)).isNotEqualTo(nonce(two));
    }

    @Test
    void aUserAddedThroughTheServiceAuthenticatesWithTheConfiguredIterations() {
        TestHashing fast = TestHashing.fast();
        SubmissionUsers service = new SubmissionUsers(new InMemorySubmissionUserStore(), fast.hashing,
            new MovableClock(T0), TestHashing.secrets());
        service.add("alice@example.com", "a long enough password", List.of());

        Step last = new ScramClient("Alice@example.com", "a long enough password", "n,,")
            .run(service.startScramSha256());

        assertThat(last.login()).contains("alice@example.com");
    }

    @Test
    void aLoginKeepsItsScramIterationsUntilItsPasswordChanges() {
        InMemorySubmissionUserStore shared = new InMemorySubmissionUserStore();
        ClusterSecrets secrets = TestHashing.secrets();
        new SubmissionUsers(shared, TestHashing.withScramIterations(4096).hashing, new MovableClock(T0), secrets)
            .add("alice@example.com", "a long enough password", List.of());
        SubmissionUsers raised = new SubmissionUsers(shared, TestHashing.withScramIterations(12_000).hashing,
            new MovableClock(T0), secrets);

        assertThat(raised.startScramSha256().onClientFirst("n,,n=alice@example.com,r=abc").message()).endsWith(",i=4096");
        assertThat(new ScramClient("alice@example.com", "a long enough password", "n,,").run(raised.startScramSha256())
            .login()).contains("alice@example.com");

        raised.setPassword("alice@example.com", "another long password");
        assertThat(raised.startScramSha256().onClientFirst("n,,n=alice@example.com,r=abc").message()).endsWith(",i=12000");
        assertThat(new ScramClient("alice@example.com", "another long password", "n,,").run(raised.startScramSha256())
            .login()).contains("alice@example.com");
    }

    @Test
    void anUnknownLoginShowsTheSameSaltOnEveryNodeSharingTheClusterSecrets() {
        ClusterSecrets cluster = TestHashing.secrets();
        SubmissionUsers nodeA = new SubmissionUsers(new InMemorySubmissionUserStore(), TestHashing.fast().hashing,
            new MovableClock(T0), cluster);
        SubmissionUsers nodeB = new SubmissionUsers(new InMemorySubmissionUserStore(), TestHashing.fast().hashing,
            new MovableClock(T0), cluster);
        SubmissionUsers otherCluster = new SubmissionUsers(new InMemorySubmissionUserStore(), TestHashing.fast().hashing,
            new MovableClock(T0), TestHashing.secrets());
        String first = "n,,n=nobody@example.com,r=abc";

        String salt = salt(nodeA.startScramSha256().onClientFirst(first));
        assertThat(salt(nodeB.startScramSha256().onClientFirst(first))).isEqualTo(salt);
        assertThat(salt(nodeA.startScramSha256().onClientFirst(first))).isEqualTo(salt);
        assertThat(salt(nodeB.startScramSha256().onClientFirst("n,,n=other@example.com,r=abc"))).isNotEqualTo(salt);
        assertThat(salt(otherCluster.startScramSha256().onClientFirst(first))).isNotEqualTo(salt);
    }

    private static String salt(Step serverFirst) {
        return serverFirst.message().split(",")[1];
    }

    private static String nonce(String serverFirst) {
        return serverFirst.split(",")[0];
    }

    /** The client side (RFC 5802 section 3), to drive exchanges with other passwords and headers. */
    private static final class ScramClient {
        private final String username;
        private final String password;
        private final String gs2Header;

        ScramClient(String username, String password, String gs2Header) {
            this.username = username;
            this.password = password;
            this.gs2Header = gs2Header;
        }

        Step run(ScramSha256Exchange exchange) {
            String bare = "n=" + username.replace("=", "=3D").replace(",", "=2C") + ",r=clientnonce123";
            Step first = exchange.onClientFirst(gs2Header + bare);
            assertThat(first.ok()).as(first.toString()).isTrue();
            String[] parts = first.message().split(",");
            String nonce = parts[0].substring(2);
            byte[] salt = Base64.getDecoder().decode(parts[1].substring(2));
            int iterations = Integer.parseInt(parts[2].substring(2));
            byte[] salted = new PasswordHashing(1, 1).pbkdf2(password, salt, iterations, 32);
            byte[] clientKey = ScramKeys.hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
            String withoutProof = "c=" + Base64.getEncoder().encodeToString(gs2Header.getBytes(StandardCharsets.UTF_8))
                + ",r=" + nonce;
            byte[] authMessage = (bare + "," + first.message() + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
            byte[] signature = ScramKeys.hmac(ScramKeys.sha256(clientKey), authMessage);
            byte[] proof = ScramKeys.xor(clientKey, signature);
            Step last = exchange.onClientFinal(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof));
            if (last.ok()) {
                byte[] serverSignature = ScramKeys.hmac(
                    ScramKeys.hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII)), authMessage);
                assertThat(last.message()).isEqualTo("v=" + Base64.getEncoder().encodeToString(serverSignature));
            }
            return last;
        }
    }
}
