package org.dispatchmail.core.dkim;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.dkim.DkimAlgorithm;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;

/** DKIM keys in Cassandra: a partition per domain, and a small index of the domains that have keys. */
public final class CassandraDomainKeyStore implements DomainKeyStore {
    private final CqlSession session;
    private final PreparedStatement insertKey;
    private final PreparedStatement indexDomain;
    private final PreparedStatement updateKey;
    private final PreparedStatement deleteKey;
    private final PreparedStatement selectKeys;
    private final PreparedStatement selectDomains;

    public CassandraDomainKeyStore(CqlSession session, String keyspace) {
        this.session = session;
        String ks = keyspace + ".";
        insertKey = session.prepare("INSERT INTO " + ks + "dkim_keys (domain, selector, algorithm, state, created_at,"
            + " activated_at, retired_at, delete_after, txt_value, private_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            + " IF NOT EXISTS");
        indexDomain = session.prepare("INSERT INTO " + ks + "dkim_domains (bucket, domain) VALUES (0, ?)");
        updateKey = session.prepare("UPDATE " + ks + "dkim_keys SET state = ?, activated_at = ?, retired_at = ?,"
            + " delete_after = ? WHERE domain = ? AND selector = ?");
        deleteKey = session.prepare("DELETE FROM " + ks + "dkim_keys WHERE domain = ? AND selector = ?");
        selectKeys = session.prepare("SELECT * FROM " + ks + "dkim_keys WHERE domain = ?");
        selectDomains = session.prepare("SELECT domain FROM " + ks + "dkim_domains WHERE bucket = 0");
    }

    @Override
    public boolean insert(DomainKey key) {
        run(indexDomain.bind(key.domain()), "index DKIM domain " + key.domain());
        return run(insertKey.bind(key.domain(), key.selector(), key.algorithm().tag(), key.state().name(),
            key.createdAt(), key.activatedAt().orElse(null), key.retiredAt().orElse(null),
            key.deleteAfter().orElse(null), key.txtValue(), ByteBuffer.wrap(key.encryptedPrivateKey())),
            "store DKIM key " + key.dnsName()).wasApplied();
    }

    @Override
    public void update(DomainKey key) {
        run(updateKey.bind(key.state().name(), key.activatedAt().orElse(null), key.retiredAt().orElse(null),
            key.deleteAfter().orElse(null), key.domain(), key.selector()), "update DKIM key " + key.dnsName());
    }

    @Override
    public void delete(String domain, String selector) {
        run(deleteKey.bind(domain, selector), "delete DKIM key " + selector + "._domainkey." + domain);
    }

    @Override
    public List<DomainKey> keys(String domain) {
        List<DomainKey> keys = new ArrayList<>();
        for (Row row : run(selectKeys.bind(domain), "read the DKIM keys of " + domain)) {
            keys.add(toKey(row));
        }
        return keys;
    }

    @Override
    public List<DomainKey> allKeys() {
        List<DomainKey> keys = new ArrayList<>();
        for (Row row : run(selectDomains.bind(), "list DKIM domains")) {
            keys.addAll(keys(row.getString("domain")));
        }
        return keys;
    }

    private static DomainKey toKey(Row row) {
        ByteBuffer secret = row.getByteBuffer("private_key");
        byte[] bytes = new byte[secret.remaining()];
        secret.get(bytes);
        return new DomainKey(row.getString("domain"), row.getString("selector"),
            DkimAlgorithm.fromTag(row.getString("algorithm")), KeyState.valueOf(row.getString("state")),
            row.getInstant("created_at"), Optional.ofNullable(row.getInstant("activated_at")),
            Optional.ofNullable(row.getInstant("retired_at")), Optional.ofNullable(row.getInstant("delete_after")),
            row.getString("txt_value"), bytes);
    }

    private ResultSet run(Statement<?> statement, String what) {
        try {
            return session.execute(statement);
        } catch (DriverException e) {
            throw new CassandraUnavailableException("Cassandra could not " + what + ": " + e.getMessage(), e);
        }
    }
}
