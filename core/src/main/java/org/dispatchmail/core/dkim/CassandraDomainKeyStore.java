package org.dispatchmail.core.dkim;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.cassandra.CassandraCalls;
import org.dispatchmail.core.dkim.DkimAlgorithm;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
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
            + " activated_at, retired_at, delete_after, txt_value, private_key) VALUES (:domain, :selector, :algorithm,"
            + " :state, :created_at, :activated_at, :retired_at, :delete_after, :txt_value, :private_key)"
            + " IF NOT EXISTS");
        indexDomain = session.prepare("INSERT INTO " + ks + "dkim_domains (bucket, domain) VALUES (0, :domain)");
        updateKey = session.prepare("UPDATE " + ks + "dkim_keys SET state = :state, activated_at = :activated_at,"
            + " retired_at = :retired_at, delete_after = :delete_after"
            + " WHERE domain = :domain AND selector = :selector");
        deleteKey = session.prepare("DELETE FROM " + ks + "dkim_keys WHERE domain = :domain AND selector = :selector");
        selectKeys = session.prepare("SELECT * FROM " + ks + "dkim_keys WHERE domain = :domain");
        selectDomains = session.prepare("SELECT domain FROM " + ks + "dkim_domains WHERE bucket = 0");
    }

    @Override
    public boolean insert(DomainKey key) {
        run(indexDomain.bind().setString("domain", key.domain()), "index DKIM domain " + key.domain());
        return run(bindState(insertKey, key).setString("algorithm", key.algorithm().tag())
            .setInstant("created_at", key.createdAt()).setString("txt_value", key.txtValue())
            .setByteBuffer("private_key", ByteBuffer.wrap(key.encryptedPrivateKey())).build(),
            "store DKIM key " + key.dnsName()).wasApplied();
    }

    @Override
    public void update(DomainKey key) {
        run(bindState(updateKey, key).build(), "update DKIM key " + key.dnsName());
    }

    @Override
    public void delete(String domain, String selector) {
        run(deleteKey.bind().setString("domain", domain).setString("selector", selector),
            "delete DKIM key " + selector + "._domainkey." + domain);
    }

    @Override
    public List<DomainKey> keys(String domain) {
        List<DomainKey> keys = new ArrayList<>();
        for (Row row : run(selectKeys.bind().setString("domain", domain), "read the DKIM keys of " + domain)) {
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

    /** The key's identity and the state an update may change; what else an insert writes is the caller's. */
    private static BoundStatementBuilder bindState(PreparedStatement statement, DomainKey key) {
        return statement.boundStatementBuilder()
            .setString("domain", key.domain())
            .setString("selector", key.selector())
            .setString("state", key.state().name())
            .setInstant("activated_at", key.activatedAt().orElse(null))
            .setInstant("retired_at", key.retiredAt().orElse(null))
            .setInstant("delete_after", key.deleteAfter().orElse(null));
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
        return CassandraCalls.run(session, statement, what);
    }
}
