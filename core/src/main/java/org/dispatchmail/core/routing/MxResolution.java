package org.dispatchmail.core.routing;

import java.util.List;
import java.util.Objects;

/** Where mail for a domain goes, or why that could not be determined. */
public final class MxResolution {

    public enum Kind {
        /** Mail servers were found: see {@link #hosts()}. */
        HOSTS,
        /** The domain declares it accepts no mail (RFC 7505). Permanent. */
        NULL_MX,
        /** The domain does not exist, or has neither MX nor address records. Permanent. */
        NO_SUCH_DOMAIN,
        /** DNS did not give a usable answer now (SERVFAIL, timeout, unresolvable MX targets). Retry later. */
        TEMPORARY_FAILURE
    }

    private final Kind kind;
    private final List<MailHost> hosts;
    private final String detail;

    private MxResolution(Kind kind, List<MailHost> hosts, String detail) {
        this.kind = kind;
        this.hosts = hosts;
        this.detail = detail;
    }

    public static MxResolution hosts(List<MailHost> hosts, String detail) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("a HOSTS resolution needs at least one host");
        }
        return new MxResolution(Kind.HOSTS, List.copyOf(hosts), detail);
    }

    public static MxResolution nullMx(String detail) {
        return new MxResolution(Kind.NULL_MX, List.of(), Objects.requireNonNull(detail));
    }

    public static MxResolution noSuchDomain(String detail) {
        return new MxResolution(Kind.NO_SUCH_DOMAIN, List.of(), Objects.requireNonNull(detail));
    }

    public static MxResolution temporaryFailure(String detail) {
        return new MxResolution(Kind.TEMPORARY_FAILURE, List.of(), Objects.requireNonNull(detail));
    }

    public Kind kind() {
        return kind;
    }

    /** The hosts in the order to try them; empty unless the kind is HOSTS. */
    public List<MailHost> hosts() {
        return hosts;
    }

    /** A human description of the problem (or, for HOSTS, of anything skipped along the way; may be null). */
    public String detail() {
        return detail;
    }

    @Override
    public String toString() {
        return kind + (kind == Kind.HOSTS ? " " + hosts : "") + (detail != null ? " (" + detail + ")" : "");
    }
}
