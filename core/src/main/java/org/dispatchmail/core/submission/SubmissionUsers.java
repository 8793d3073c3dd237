package org.dispatchmail.core.submission;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import org.dispatchmail.core.secrets.ClusterSecrets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Submission users: administration (add, change, remove, list) and authentication for PLAIN, LOGIN, CRAM-MD5 and
 * SCRAM-SHA-256. Authentication never tells an unknown login from a wrong password, in its answer or in its cost.
 * Store failures surface as {@link org.dispatchmail.core.cassandra.CassandraUnavailableException}.
 */
public final class SubmissionUsers {
    private static final Logger LOGGER = LoggerFactory.getLogger(SubmissionUsers.class);
    /** Longer than any address; longer input is not looked up at all. */
    private static final int MAX_LOGIN_CHARS = 320;
    private static final int SERVER_NONCE_BYTES = 18;
    /** The cluster secret that keys the SCRAM salts shown for unknown logins. */
    public static final String DECOY_SECRET = "scram-decoy";

    private final SubmissionUserStore store;
    private final PasswordHashing hashing;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final UnknownLoginDecoy decoy;

    /**
     * Derives the unknown-login decoy at once: one password hash of work at start-up. The SCRAM salts it shows for
     * unknown logins are keyed by the cluster secret {@value #DECOY_SECRET}, so every node and every restart shows
     * the same salt for the same login (a salt that changed would tell the login does not exist).
     */
    public SubmissionUsers(SubmissionUserStore store, PasswordHashing hashing, Clock clock, ClusterSecrets secrets) {
        this.store = store;
        this.hashing = hashing;
        this.clock = clock;
        this.decoy = new UnknownLoginDecoy(hashing, random, () -> secrets.current(DECOY_SECRET).key());
    }

    /** IllegalArgumentException with the reason: bad login, weak password, bad sender entry, login exists. */
    public SubmissionUser add(String login, String password, List<String> allowedSenders) {
        String normalized = SubmissionAddresses.login(login);
        PasswordPolicy.check(password);
        List<String> senders = senderEntries(allowedSenders);
        if (store.find(normalized).isPresent()) {
            throw exists(normalized);
        }
        Instant now = clock.instant();
        SubmissionUser user = new SubmissionUser(normalized, senders, now, now, Credentials.derive(password, hashing));
        if (!store.create(user)) {
            throw exists(normalized);
        }
        LOGGER.info("Submission user {} added, may send as {}", normalized, senders);
        return user;
    }

    public SubmissionUser setPassword(String login, String password) {
        String normalized = SubmissionAddresses.login(login);
        PasswordPolicy.check(password);
        SubmissionUser user = existing(normalized);
        SubmissionUser changed = user.withCredentials(Credentials.derive(password, hashing), clock.instant());
        store.update(changed);
        LOGGER.info("Password of submission user {} changed", normalized);
        return changed;
    }

    public SubmissionUser setAllowedSenders(String login, List<String> allowedSenders) {
        String normalized = SubmissionAddresses.login(login);
        List<String> senders = senderEntries(allowedSenders);
        SubmissionUser changed = existing(normalized).withAllowedSenders(senders);
        store.update(changed);
        LOGGER.info("Submission user {} may now send as {}", normalized, senders);
        return changed;
    }

    /** False when there was no such login (a malformed login included). */
    public boolean remove(String login) {
        Optional<String> normalized = lookupKey(login);
        boolean removed = normalized.isPresent() && store.delete(normalized.get());
        if (removed) {
            LOGGER.info("Submission user {} removed", normalized.get());
        }
        return removed;
    }

    public List<SubmissionUser> list() {
        return store.list();
    }

    public Optional<SubmissionUser> find(String login) {
        return lookup(login);
    }

    /**
     * PLAIN and LOGIN. Does the same amount of hashing work whether or not the login exists (hash against a fixed
     * dummy credential), so timing does not reveal which logins exist.
     */
    public boolean checkPassword(String login, String password) {
        return authenticate(login, password).isPresent();
    }

    /** As {@link #checkPassword}; the login as stored when the password is right, whatever case the client used. */
    public Optional<String> authenticate(String login, String password) {
        Optional<SubmissionUser> user = lookup(login);
        Credentials credentials = user.map(SubmissionUser::credentials).orElse(decoy.credentials());
        boolean matches = credentials.matchesPassword(password, hashing);
        return matches && user.isPresent() ? Optional.of(user.get().login()) : Optional.empty();
    }

    /** A CRAM-MD5 exchange with the challenge "&lt;random.timestamp@hostName&gt;". */
    public CramMd5Exchange startCramMd5(String hostName) {
        if (hostName == null || !hostName.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
            throw new IllegalArgumentException("'" + hostName + "' is not a host name for a CRAM-MD5 challenge");
        }
        long unique = random.nextLong() >>> 1;
        return cramMd5Exchange("<" + unique + "." + clock.instant().getEpochSecond() + "@" + hostName + ">");
    }

    public ScramSha256Exchange startScramSha256() {
        return scramSha256Exchange(this::serverNonce);
    }

    /** Tests: RFC 2195's own challenge. */
    CramMd5Exchange cramMd5Exchange(String challenge) {
        return new CramMd5Exchange(challenge, this::lookup, decoy, hashing);
    }

    /** Tests: RFC 7677's own server nonce. */
    ScramSha256Exchange scramSha256Exchange(Supplier<String> serverNonces) {
        return new ScramSha256Exchange(this::lookup, decoy, hashing, serverNonces);
    }

    /** Lenient: whatever a client typed, lower-cased; a login that cannot exist is simply not found. */
    private Optional<SubmissionUser> lookup(String login) {
        Optional<String> key = lookupKey(login);
        return key.isPresent() ? store.find(key.get()) : Optional.empty();
    }

    private static Optional<String> lookupKey(String login) {
        if (login == null || login.isEmpty() || login.length() > MAX_LOGIN_CHARS) {
            return Optional.empty();
        }
        return Optional.of(SubmissionAddresses.lower(login.trim()));
    }

    private SubmissionUser existing(String login) {
        return store.find(login).orElseThrow(() -> new IllegalArgumentException("no submission user '" + login + "'"));
    }

    private static List<String> senderEntries(List<String> entries) {
        Set<String> unique = new LinkedHashSet<>();
        for (String entry : entries == null ? List.<String>of() : entries) {
            unique.add(SubmissionAddresses.senderEntry(entry));
        }
        return new ArrayList<>(unique);
    }

    private static IllegalArgumentException exists(String login) {
        return new IllegalArgumentException("login '" + login + "' exists");
    }

    /** 18 random bytes, 24 base64 characters: printable and free of commas, as RFC 5802 asks. */
    private String serverNonce() {
        byte[] bytes = new byte[SERVER_NONCE_BYTES];
        random.nextBytes(bytes);
        return Base64.getEncoder().encodeToString(bytes);
    }
}
