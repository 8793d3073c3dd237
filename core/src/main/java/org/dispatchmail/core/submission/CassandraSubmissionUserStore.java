package org.dispatchmail.core.submission;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;


import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import org.dispatchmail.core.cassandra.CassandraCalls;

/**
 * Submission users in Cassandra (schema version 3): a partition per login, so every AUTH is one key read, and a
 * one-partition index of logins for listing. Writes are lightweight transactions (IF NOT EXISTS / IF EXISTS) so two
 * admins on two nodes cannot both create a login, and an update racing a delete never brings the user back.
 */
public final class CassandraSubmissionUserStore implements SubmissionUserStore {
    private static final String COLUMNS = "login, allowed_senders, created_at, password_changed_at, pbkdf2_salt,"
        + " pbkdf2_iterations, pbkdf2_hash, cram_md5_context, scram_salt, scram_iterations, scram_stored_key,"
        + " scram_server_key";

    private final CqlSession session;
    private final PreparedStatement insertUser;
    private final PreparedStatement indexLogin;
    private final PreparedStatement updateUser;
    private final PreparedStatement deleteUser;
    private final PreparedStatement unindexLogin;
    private final PreparedStatement selectUser;
    private final PreparedStatement selectLogins;

    public CassandraSubmissionUserStore(CqlSession session, String keyspace) {
        this.session = session;
        String ks = keyspace + ".";
        insertUser = session.prepare("INSERT INTO " + ks + "submission_users (" + COLUMNS + ")"
            + " VALUES (:login, :allowed_senders, :created_at, :password_changed_at, :pbkdf2_salt, :pbkdf2_iterations,"
            + " :pbkdf2_hash, :cram_md5_context, :scram_salt, :scram_iterations, :scram_stored_key, :scram_server_key)"
            + " IF NOT EXISTS");
        indexLogin = session.prepare("INSERT INTO " + ks + "submission_logins (bucket, login) VALUES (0, :login)");
        updateUser = session.prepare("UPDATE " + ks + "submission_users SET allowed_senders = :allowed_senders,"
            + " created_at = :created_at, password_changed_at = :password_changed_at, pbkdf2_salt = :pbkdf2_salt,"
            + " pbkdf2_iterations = :pbkdf2_iterations, pbkdf2_hash = :pbkdf2_hash,"
            + " cram_md5_context = :cram_md5_context,"
            + " scram_salt = :scram_salt, scram_iterations = :scram_iterations, scram_stored_key = :scram_stored_key,"
            + " scram_server_key = :scram_server_key WHERE login = :login IF EXISTS");
        deleteUser = session.prepare("DELETE FROM " + ks + "submission_users WHERE login = :login IF EXISTS");
        unindexLogin = session.prepare("DELETE FROM " + ks + "submission_logins WHERE bucket = 0 AND login = :login");
        selectUser = session.prepare("SELECT " + COLUMNS + " FROM " + ks + "submission_users WHERE login = :login");
        selectLogins = session.prepare("SELECT login FROM " + ks + "submission_logins WHERE bucket = 0");
    }

    @Override
    public boolean create(SubmissionUser user) {
        // Index first: a crash in between leaves an index entry without a user, which list() skips.
        run(byLogin(indexLogin, user.login()), "index submission user " + user.login());
        return run(bindUser(insertUser, user), "store submission user " + user.login()).wasApplied();
    }

    @Override
    public void update(SubmissionUser user) {
        boolean applied = run(bindUser(updateUser, user), "update submission user " + user.login()).wasApplied();
        if (!applied) {
            throw new IllegalArgumentException("no submission user '" + user.login() + "'");
        }
    }

    @Override
    public boolean delete(String login) {
        boolean existed = run(byLogin(deleteUser, login), "delete submission user " + login).wasApplied();
        run(byLogin(unindexLogin, login), "unindex submission user " + login);
        return existed;
    }

    @Override
    public Optional<SubmissionUser> find(String login) {
        Row row = run(byLogin(selectUser, login), "read submission user " + login).one();
        return row == null ? Optional.empty() : Optional.of(toUser(row));
    }

    @Override
    public List<SubmissionUser> list() {
        List<SubmissionUser> users = new ArrayList<>();
        for (Row row : run(selectLogins.bind(), "list submission users")) {
            find(row.getString("login")).ifPresent(users::add);
        }
        return users;
    }

    private static BoundStatement byLogin(PreparedStatement statement, String login) {
        return statement.bind().setString("login", login);
    }

    /** Every column of a user's row. */
    private static BoundStatement bindUser(PreparedStatement statement, SubmissionUser user) {
        Credentials c = user.credentials();
        return statement.boundStatementBuilder()
            .setString("login", user.login())
            .setList("allowed_senders", user.allowedSenders(), String.class)
            .setInstant("created_at", user.createdAt())
            .setInstant("password_changed_at", user.passwordChangedAt())
            .setByteBuffer("pbkdf2_salt", blob(c.pbkdf2Salt()))
            .setInt("pbkdf2_iterations", c.pbkdf2Iterations())
            .setByteBuffer("pbkdf2_hash", blob(c.pbkdf2Hash()))
            .setByteBuffer("cram_md5_context", blob(c.cramMd5Context()))
            .setByteBuffer("scram_salt", blob(c.scramSalt()))
            .setInt("scram_iterations", c.scramIterations())
            .setByteBuffer("scram_stored_key", blob(c.scramStoredKey()))
            .setByteBuffer("scram_server_key", blob(c.scramServerKey()))
            .build();
    }

    private static SubmissionUser toUser(Row row) {
        Credentials credentials = new Credentials(bytes(row, "pbkdf2_salt"), row.getInt("pbkdf2_iterations"),
            bytes(row, "pbkdf2_hash"), bytes(row, "cram_md5_context"), bytes(row, "scram_salt"),
            row.getInt("scram_iterations"), bytes(row, "scram_stored_key"), bytes(row, "scram_server_key"));
        return new SubmissionUser(row.getString("login"), row.getList("allowed_senders", String.class),
            row.getInstant("created_at"), row.getInstant("password_changed_at"), credentials);
    }

    private static ByteBuffer blob(byte[] bytes) {
        return ByteBuffer.wrap(bytes);
    }

    private static byte[] bytes(Row row, String column) {
        ByteBuffer buffer = row.getByteBuffer(column);
        if (buffer == null) {
            return new byte[0];
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private ResultSet run(Statement<?> statement, String what) {
        return CassandraCalls.run(session, statement, what);
    }
}
