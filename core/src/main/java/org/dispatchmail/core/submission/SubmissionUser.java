package org.dispatchmail.core.submission;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import org.dispatchmail.core.routing.DomainNames;

/** One login that may submit mail: who it is, whom it may send as, and its credentials (package-private). */
public final class SubmissionUser {
    private final String login;
    private final List<String> allowedSenders;
    private final Instant createdAt;
    private final Instant passwordChangedAt;
    private final Credentials credentials;

    /** Values as stored: the login and entries already lower case (SubmissionUsers normalises them). */
    SubmissionUser(String login, List<String> allowedSenders, Instant createdAt, Instant passwordChangedAt,
                   Credentials credentials) {
        this.login = Objects.requireNonNull(login, "login");
        this.allowedSenders = List.copyOf(allowedSenders);
        this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
        this.passwordChangedAt = Objects.requireNonNull(passwordChangedAt, "passwordChangedAt");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
    }

    /** Lower case; an address like alice@example.com. */
    public String login() {
        return login;
    }

    /** Exact addresses ("alice@example.com") and whole domains ("@example.com"), lower case. */
    public List<String> allowedSenders() {
        return allowedSenders;
    }

    /**
     * Whether this login may use {@code address} as envelope or header sender: the login itself, an exact entry, or
     * an address whose domain is a "@domain" entry (that domain only, not its subdomains). Case-insensitive.
     */
    public boolean maySendAs(String address) {
        if (address == null) {
            return false;
        }
        String lower = SubmissionAddresses.lower(address.trim());
        if (lower.indexOf('@') <= 0) {
            // Not an address (no local part): in particular "@example.com" must not match its own domain entry.
            return false;
        }
        if (lower.equals(login)) {
            return true;
        }
        String domainEntry = "@" + DomainNames.domainOf(lower);
        for (String entry : allowedSenders) {
            if (entry.equals(lower) || entry.equals(domainEntry)) {
                return true;
            }
        }
        return false;
    }

    public Instant createdAt() {
        return createdAt;
    }

    public Instant passwordChangedAt() {
        return passwordChangedAt;
    }

    Credentials credentials() {
        return credentials;
    }

    SubmissionUser withCredentials(Credentials newCredentials, Instant changedAt) {
        return new SubmissionUser(login, allowedSenders, createdAt, changedAt, newCredentials);
    }

    SubmissionUser withAllowedSenders(List<String> senders) {
        return new SubmissionUser(login, senders, createdAt, passwordChangedAt, credentials);
    }

    @Override
    public String toString() {
        return "SubmissionUser[" + login + ", allowedSenders=" + allowedSenders + ", createdAt=" + createdAt
            + ", passwordChangedAt=" + passwordChangedAt + "]";
    }
}
