package org.dispatchmail.core.srs;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.secrets.Secret;

/**
 * Rotation of the SRS key: rotate (new addresses get the new key, old ones still check), wait srs.maxAge, retire.
 * A retirement that would refuse bounces to addresses younger than srs.maxAge is refused unless forced.
 */
public final class SrsKeys {
    private final ClusterSecrets secrets;
    private final SrsSettings settings;
    private final Clock clock;

    public SrsKeys(ClusterSecrets secrets, SrsSettings settings, Clock clock) {
        this.secrets = secrets;
        this.settings = settings;
        this.clock = clock;
    }

    /** Every kept version, newest (the one that signs) first. */
    public List<Secret> versions() {
        return secrets.all(SenderRewriting.SECRET_NAME);
    }

    public Secret rotate() {
        return secrets.rotate(SenderRewriting.SECRET_NAME);
    }

    /** Removes all but the {@code keep} newest versions. */
    public Retirement retire(int keep, boolean force) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be at least 1: the newest version signs new addresses");
        }
        List<Secret> versions = versions();
        if (versions.size() <= keep) {
            return new Retirement(0, null);
        }
        // Addresses signed by the versions to remove were all made before the oldest kept version took over.
        Secret oldestKept = versions.get(keep - 1);
        Instant safeAfter = oldestKept.createdAt().plus(settings.maxAge());
        if (!force && clock.instant().isBefore(safeAfter)) {
            return new Retirement(0, "version " + oldestKept.version() + " signs since " + oldestKept.createdAt()
                + ": SRS addresses signed before it take bounces until " + safeAfter + " (srs.maxAge "
                + settings.maxAge().toDays() + "d); retire after that, or force it");
        }
        return new Retirement(secrets.retire(SenderRewriting.SECRET_NAME, keep), null);
    }

    /** What a retirement did: how many versions it removed, or why it removed none. */
    public static final class Retirement {
        private final int removed;
        private final String refusal;

        Retirement(int removed, String refusal) {
            this.removed = removed;
            this.refusal = refusal;
        }

        public int removed() {
            return removed;
        }

        public boolean refused() {
            return refusal != null;
        }

        public String refusal() {
            return refusal;
        }
    }
}
