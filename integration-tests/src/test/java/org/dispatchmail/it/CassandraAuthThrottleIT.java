package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

import org.dispatchmail.core.submission.AuthThrottle;
import org.dispatchmail.core.submission.AuthThrottleContract;
import org.dispatchmail.core.submission.CassandraAuthThrottle;
import org.dispatchmail.core.submission.ThrottleSettings;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.TestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import com.datastax.oss.driver.api.core.CqlSession;

/** The AUTH throttle contract in a real Cassandra; each "node" has a session of its own. */
@ExtendWith(CassandraExtension.class)
class CassandraAuthThrottleIT extends AuthThrottleContract {
    private static final String KEYSPACE = "auth_throttle_it";

    private static CqlSession first;
    private static CqlSession second;
    private int nodes;

    @BeforeAll
    static void connect(EmbeddedCassandra cassandra) {
        TestKeyspace keyspace = TestKeyspace.of(cassandra, KEYSPACE);
        first = keyspace.connectWithSchema();
        second = keyspace.connect();
    }

    @AfterAll
    static void close() {
        first.close();
        second.close();
    }

    @Override
    protected AuthThrottle node(ThrottleSettings settings, Clock clock) {
        return new CassandraAuthThrottle(nodes++ % 2 == 0 ? first : second, KEYSPACE, settings, clock);
    }

    @Test
    void reservationsExpireByThemselvesAndASuccessLeavesNoRow() {
        AuthThrottle throttle = new CassandraAuthThrottle(first, KEYSPACE, new ThrottleSettings(2, 2,
            Duration.ofSeconds(2)), Clock.systemUTC());
        String client = "2001:db8:" + Integer.toHexString(1 + (int) (Math.random() * 60000)) + "::1";
        String subject = "address:" + client.replace("::1", ":0:0:0:0:0") + "/64";

        throttle.reserve(client, Optional.empty());
        throttle.reserve(client, Optional.empty());
        assertThat(rows(subject)).isEqualTo(2);
        assertThat(throttle.reserve(client, Optional.empty()).allowed()).isFalse();
        assertThat(rows(subject)).as("a refused attempt writes nothing").isEqualTo(2);

        await().atMost(Duration.ofSeconds(20)).until(() -> rows(subject) == 0);
        var attempt = throttle.reserve(client, Optional.of("someone@example.com"));
        assertThat(attempt.allowed()).isTrue();
        throttle.succeeded(attempt);
        assertThat(rows(subject)).isZero();
        assertThat(rows("login:someone@example.com")).isZero();
    }

    private static long rows(String subject) {
        return first.execute("SELECT count(*) FROM " + KEYSPACE + ".auth_attempts WHERE subject = ?", subject)
            .one().getLong(0);
    }
}
