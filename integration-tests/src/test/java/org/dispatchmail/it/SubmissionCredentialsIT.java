package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import org.dispatchmail.core.cassandra.CassandraConnector;
import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.config.CassandraSettings;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.submission.AuthThrottle;
import org.dispatchmail.core.submission.CassandraAuthThrottle;
import org.dispatchmail.core.submission.CassandraSubmissionUserStore;
import org.dispatchmail.core.submission.PasswordHashing;
import org.dispatchmail.core.submission.SubmissionUser;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** Submission users and the AUTH throttle against a real Cassandra, seen from two "nodes" sharing it. */
@ExtendWith(CassandraExtension.class)
class SubmissionCredentialsIT {
    private static final String KEYSPACE = "submission_it";
    private static final String PASSWORD = "correct horse battery staple";

    private static CqlSession session;
    private static SubmissionUsers nodeA;
    private static SubmissionUsers nodeB;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        CassandraSettings settings = CassandraSettings.from(new ConfigReader("dispatch.properties", Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", KEYSPACE)));
        session = CassandraConnector.connect(settings);
        QueueSchema.apply(session, KEYSPACE, settings.replicationCql());
        PasswordHashing hashing = new PasswordHashing(1000, 4096);
        nodeA = new SubmissionUsers(new CassandraSubmissionUserStore(session, KEYSPACE), hashing, Clock.systemUTC());
        nodeB = new SubmissionUsers(new CassandraSubmissionUserStore(session, KEYSPACE), hashing, Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        session.close();
    }

    private static String login() {
        return "u" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
    }

    @Test
    void theSchemaIsAtTheLatestVersion() {
        assertThat(session.execute("SELECT version FROM " + KEYSPACE + ".schema_version WHERE component = 'queue'")
            .one().getInt("version")).isEqualTo(QueueSchema.latestVersion()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void aUserAddedOnOneNodeAuthenticatesOnAnotherWithEveryMechanism() throws Exception {
        String login = login();
        nodeA.add(login, PASSWORD, List.of("@example.org", "billing@example.net"));

        SubmissionUser read = nodeB.find(login).orElseThrow();
        assertThat(read.allowedSenders()).containsExactly("@example.org", "billing@example.net");
        assertThat(read.maySendAs("anyone@example.org")).isTrue();
        assertThat(nodeB.checkPassword(login, PASSWORD)).isTrue();
        assertThat(nodeB.checkPassword(login, PASSWORD + "!")).isFalse();

        var cram = nodeB.startCramMd5("mx.example.com");
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacMD5");
        mac.init(new javax.crypto.spec.SecretKeySpec(PASSWORD.getBytes("UTF-8"), "HmacMD5"));
        StringBuilder hex = new StringBuilder();
        for (byte b : mac.doFinal(cram.challenge().getBytes("US-ASCII"))) {
            hex.append(String.format("%02x", b));
        }
        assertThat(cram.verify(login + " " + hex)).contains(login);

        var scram = nodeB.startScramSha256();
        assertThat(scram.onClientFirst("n,,n=" + login + ",r=abcdef").message()).contains(",i=4096");
    }

    @Test
    void theStoredRowHoldsNoPassword() {
        String login = login();
        nodeA.add(login, PASSWORD, List.of());

        var row = session.execute("SELECT * FROM " + KEYSPACE + ".submission_users WHERE login = ?", login).one();
        assertThat(row.getFormattedContents()).doesNotContain(PASSWORD);
        assertThat(row.getInt("pbkdf2_iterations")).isEqualTo(1000);
        assertThat(row.getByteBuffer("cram_md5_context").remaining()).isEqualTo(32);
    }

    @Test
    void aLoginCanBeCreatedOnceEvenFromTwoNodes() {
        String login = login();
        nodeA.add(login, PASSWORD, List.of());

        assertThatThrownBy(() -> nodeB.add(login.toUpperCase(), PASSWORD, List.of()))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exists");
    }

    @Test
    void changesAndRemovalAreSeenByEveryNode() {
        String login = login();
        nodeA.add(login, PASSWORD, List.of());

        nodeB.setPassword(login, "another long passphrase");
        nodeB.setAllowedSenders(login, List.of("@example.org"));
        assertThat(nodeA.checkPassword(login, PASSWORD)).isFalse();
        assertThat(nodeA.checkPassword(login, "another long passphrase")).isTrue();
        assertThat(nodeA.find(login).orElseThrow().allowedSenders()).containsExactly("@example.org");
        assertThat(nodeA.list()).extracting(SubmissionUser::login).contains(login);

        SubmissionUser beforeRemoval = nodeA.find(login).orElseThrow();
        assertThat(nodeA.remove(login)).isTrue();
        assertThat(nodeB.remove(login)).isFalse();
        assertThat(nodeB.find(login)).isEmpty();
        assertThat(nodeB.list()).extracting(SubmissionUser::login).doesNotContain(login);
        assertThatThrownBy(() -> nodeB.setPassword(login, "a third passphrase here"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no submission user");
        // A late write from a node that still holds the user does not bring it back (UPDATE ... IF EXISTS).
        CassandraSubmissionUserStore store = new CassandraSubmissionUserStore(session, KEYSPACE);
        assertThatThrownBy(() -> store.update(beforeRemoval)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("no submission user");
        assertThat(store.find(login)).isEmpty();
    }

    @Test
    void failuresOnAnyNodeBlockAnAddressEverywhereForAWhile() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
        Clock clock = new Clock() {
            @Override
            public Instant instant() {
                return now.get();
            }

            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }
        };
        AuthThrottle a = new CassandraAuthThrottle(session, KEYSPACE, 3, Duration.ofMinutes(10), clock);
        AuthThrottle b = new CassandraAuthThrottle(session, KEYSPACE, 3, Duration.ofMinutes(10), clock);
        String client = "198.51.100." + (1 + (int) (Math.random() * 250));

        a.recordFailure(client);
        b.recordFailure(client);
        assertThat(a.blocked(client)).isFalse();
        a.recordFailure(client);
        assertThat(b.blocked(client)).isTrue();
        assertThat(a.blocked("203.0.113.9")).isFalse();

        now.set(now.get().plus(Duration.ofMinutes(10)));
        assertThat(a.blocked(client)).isFalse();
        // The earlier failures are outside the window now: one more does not block again.
        b.recordFailure(client);
        assertThat(a.blocked(client)).isFalse();
        a.recordSuccess(client);
        assertThat(failureRows(client)).isZero();
    }

    @Test
    void failureAndBlockRowsExpireByThemselves() throws Exception {
        AuthThrottle throttle = new CassandraAuthThrottle(session, KEYSPACE, 2, Duration.ofSeconds(2),
            Clock.systemUTC());
        String client = "2001:db8::" + Integer.toHexString(1 + (int) (Math.random() * 60000));

        throttle.recordFailure(client);
        throttle.recordFailure(client);
        assertThat(failureRows(client)).isEqualTo(2);
        assertThat(throttle.blocked(client)).isTrue();

        Thread.sleep(3500);
        assertThat(failureRows(client)).isZero();
        assertThat(session.execute("SELECT count(*) FROM " + KEYSPACE + ".auth_blocks WHERE client = ?", client)
            .one().getLong(0)).isZero();
        assertThat(throttle.blocked(client)).isFalse();
    }

    private static long failureRows(String client) {
        return session.execute("SELECT count(*) FROM " + KEYSPACE + ".auth_failures WHERE client = ?", client)
            .one().getLong(0);
    }
}
