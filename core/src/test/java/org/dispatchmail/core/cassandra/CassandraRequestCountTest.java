package org.dispatchmail.core.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;

class CassandraRequestCountTest {
    private static final SimpleStatement PLAIN = SimpleStatement.newInstance(
        "INSERT INTO ks.due (shard, bucket) VALUES (1, 2) USING TTL 60");
    private static final SimpleStatement CLAIM = SimpleStatement.newInstance(
        "UPDATE ks.recipients USING TTL 60 SET state = 'IN_FLIGHT' WHERE message_id = ? AND recipient = ?"
            + " IF state = ? AND claimed_by = ?");

    @Test
    void conditionalWritesAreLightweightTransactions() {
        assertThat(CassandraRequestCount.conditionalWrite("INSERT INTO ks.t (a) VALUES (1) IF NOT EXISTS")).isTrue();
        assertThat(CassandraRequestCount.conditionalWrite("DELETE FROM ks.t WHERE a = 1 IF owner = 'n'")).isTrue();
        assertThat(CassandraRequestCount.conditionalWrite(CLAIM.getQuery())).isTrue();
        assertThat(CassandraRequestCount.conditionalWrite(PLAIN.getQuery())).isFalse();
        assertThat(CassandraRequestCount.conditionalWrite("SELECT * FROM ks.t WHERE a = 1")).isFalse();
        assertThat(CassandraRequestCount.conditionalWrite("CREATE TABLE IF NOT EXISTS ks.t (a int PRIMARY KEY)"))
            .isFalse();
    }

    @Test
    void aBatchIsOneRequestAndLightweightWhenAnyStatementIs() {
        CassandraRequestCount count = new CassandraRequestCount();
        count.onSuccess(PLAIN, 1, null, null, "");
        count.onSuccess(BatchStatement.newInstance(BatchType.UNLOGGED, PLAIN, PLAIN), 1, null, null, "");
        count.onError(BatchStatement.newInstance(BatchType.UNLOGGED, PLAIN, CLAIM), new RuntimeException(), 1, null,
            null, "");
        count.onSuccess(CLAIM, 1, null, null, "");

        assertThat(count.requests()).isEqualTo(4);
        assertThat(count.lightweightTransactions()).isEqualTo(2);
    }
}
