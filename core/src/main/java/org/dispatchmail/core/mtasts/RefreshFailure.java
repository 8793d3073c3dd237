package org.dispatchmail.core.mtasts;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * The last failed fetch of a domain's policy: the TXT {@code id} it was for, when, and what went wrong. It is kept
 * beside the stored policy, which it never replaces, so operators see why a refresh is failing and a node does not
 * fetch the same id again too soon (RFC 8461 §3.3).
 */
public final class RefreshFailure {
    private final String id;
    private final Instant at;
    private final String error;

    public RefreshFailure(String id, Instant at, String error) {
        this.id = Objects.requireNonNull(id, "id");
        this.at = at.truncatedTo(ChronoUnit.MILLIS);
        this.error = Objects.requireNonNull(error, "error");
    }

    /** The {@code id} of the {@code _mta-sts} record whose policy could not be fetched. */
    public String id() {
        return id;
    }

    /** When the fetch failed (stored as {@code checked_at}). */
    public Instant at() {
        return at;
    }

    public String error() {
        return error;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof RefreshFailure)) {
            return false;
        }
        RefreshFailure other = (RefreshFailure) o;
        return id.equals(other.id) && at.equals(other.at) && error.equals(other.error);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, at, error);
    }

    @Override
    public String toString() {
        return "fetch of id=" + id + " failed at " + at + ": " + error;
    }
}
