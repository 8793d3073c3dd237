package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

import org.dispatchmail.core.cassandra.QueueSchema;
import org.dispatchmail.core.secrets.CassandraClusterSecrets;
import org.dispatchmail.core.submission.CassandraSubmissionUserStore;
import org.dispatchmail.core.submission.PasswordHashing;
import org.dispatchmail.core.submission.SubmissionUser;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** Submission users against a real Cassandra, seen from two "nodes" sharing it. */
@ExtendWith(CassandraExtension.class)
class SubmissionCredentialsIT {
    private static final String KEYSPACE = "submission_it";
    private static final String PASSWORD = "correct horse battery staple";

    private static CqlSession session;
    private static SubmissionUsers nodeA;
    private static SubmissionUsers nodeB;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        session = TestKeyspace.of(cassandra, KEYSPACE).connectWithSchema();
        PasswordHashing hashing = new PasswordHashing(1000, 4096);
        nodeA = new SubmissionUsers(new CassandraSubmissionUserStore(session, KEYSPACE), hashing, Clock.systemUTC(),
            new CassandraClusterSecrets(session, KEYSPACE, Clock.systemUTC(), new SecureRandom()));
        nodeB = new SubmissionUsers(new CassandraSubmissionUserStore(session, KEYSPACE), hashing, Clock.systemUTC(),
            new CassandraClusterSecrets(session, KEYSPACE, Clock.systemUTC(), new SecureRandom()));
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
}
