package org.dispatchmail.it.support;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

import org.dispatchmail.dist.cassandra.EmbeddedCassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;

/** Reads Dispatch's queue tables straight from Cassandra, to check what the queue recorded. */
public final class QueueState implements AutoCloseable {
    private final CqlSession session;
    private final String keyspace;

    public QueueState(EmbeddedCassandra cassandra, String keyspace) {
        this.session = CqlSession.builder()
            .addContactPoint(new InetSocketAddress(cassandra.address(), cassandra.nativePort()))
            .withLocalDatacenter(cassandra.localDatacenter())
            .build();
        this.keyspace = keyspace;
    }

    /** Rows of the recipients table for one recipient address, whatever the message. */
    public List<Row> recipientRows(String recipient) {
        List<Row> rows = new ArrayList<>();
        for (Row row : session.execute("SELECT * FROM " + keyspace + ".recipients")) {
            if (recipient.equals(row.getString("recipient"))) {
                rows.add(row);
            }
        }
        return rows;
    }

    /** Every row of the recipients table (message_id, recipient, state, attempts, claimed_by...). */
    public List<Row> allRecipientRows() {
        return session.execute("SELECT * FROM " + keyspace + ".recipients").all();
    }

    public List<Row> attempts(Row recipientRow) {
        return session.execute("SELECT * FROM " + keyspace + ".attempts WHERE message_id = ? AND recipient = ?",
            recipientRow.getUuid("message_id"), recipientRow.getString("recipient")).all();
    }

    @Override
    public void close() {
        session.close();
    }
}
