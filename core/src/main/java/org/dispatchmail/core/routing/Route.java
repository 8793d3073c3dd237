package org.dispatchmail.core.routing;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** How mail for one recipient domain leaves: to the domain's MX hosts or to a smart host, and how securely. */
public final class Route {

    public enum Kind {
        /** The recipient domain's own mail servers (RFC 5321 §5.1). */
        MX,
        /** One fixed relay, looked up by address records only. */
        SMARTHOST
    }

    private final Optional<String> rule;
    private final Kind kind;
    private final String host;
    private final int port;
    private final TlsPolicy tls;
    private final Optional<SmtpCredentials> credentials;
    private final MtaStsOverride mtaSts;

    private Route(Optional<String> rule, Kind kind, String host, int port, TlsPolicy tls,
                  Optional<SmtpCredentials> credentials, MtaStsOverride mtaSts) {
        this.rule = Objects.requireNonNull(rule, "rule");
        this.kind = kind;
        this.host = host;
        this.port = port;
        this.tls = Objects.requireNonNull(tls, "tls");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
        this.mtaSts = Objects.requireNonNull(mtaSts, "mtaSts");
    }

    /**
     * Delivery to the domain's MX hosts.
     *
     * @param rule the transport rule that chose this route; empty for the default route
     */
    public static Route mx(Optional<String> rule, TlsPolicy tls) {
        return mx(rule, tls, MtaStsOverride.AS_PUBLISHED);
    }

    /**
     * Delivery to the domain's MX hosts, with the rule's {@code mtaSts} option.
     *
     * @param rule the transport rule that chose this route; empty for the default route
     */
    public static Route mx(Optional<String> rule, TlsPolicy tls, MtaStsOverride mtaSts) {
        if (tls == TlsPolicy.IMPLICIT) {
            throw new IllegalArgumentException("implicit TLS is for smart hosts; MX hosts take STARTTLS");
        }
        return new Route(rule, Kind.MX, null, 0, tls, Optional.empty(), mtaSts);
    }

    /**
     * Delivery to a smart host.
     *
     * @param host an A-label host name or an IP literal; never looked up for MX records
     */
    public static Route smartHost(String rule, String host, int port, TlsPolicy tls,
                                  Optional<SmtpCredentials> credentials) {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(host, "host");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (credentials.isPresent() && (tls == TlsPolicy.NONE || tls == TlsPolicy.OPPORTUNISTIC)) {
            throw new IllegalArgumentException("a password must never go out unencrypted: tls must be required or "
                    + "implicit");
        }
        return new Route(Optional.of(rule), Kind.SMARTHOST, host, port, tls, credentials, MtaStsOverride.OFF);
    }

    /** The name of the transport rule that chose this route; empty when no rule matched. */
    public Optional<String> rule() {
        return rule;
    }

    public Kind kind() {
        return kind;
    }

    public boolean isSmartHost() {
        return kind == Kind.SMARTHOST;
    }

    /** The smart host (A-label name or IP literal); null for an MX route. */
    public String host() {
        return host;
    }

    /** The smart host's port; 0 for an MX route, which uses delivery.remotePort. */
    public int port() {
        return port;
    }

    public TlsPolicy tls() {
        return tls;
    }

    /**
     * What the route does with the domains' MTA-STS policies; {@link MtaStsOverride#OFF} for a smart host, which
     * follows its configured {@code tls} only.
     */
    public MtaStsOverride mtaSts() {
        return mtaSts;
    }

    /** The smart host login; always empty for an MX route. */
    public Optional<SmtpCredentials> credentials() {
        return credentials;
    }

    /**
     * One phrase for logs and reports, e.g. "mx (tls opportunistic)" or
     * "transport corp: smarthost relay.example.net:587 (tls required, auth as dispatch)". Never the password.
     */
    public String describe() {
        StringBuilder s = new StringBuilder();
        rule.ifPresent(name -> s.append("transport ").append(name).append(": "));
        if (kind == Kind.MX) {
            s.append("mx");
        } else {
            s.append("smarthost ").append(host.indexOf(':') >= 0 ? "[" + host + "]" : host).append(':').append(port);
        }
        s.append(" (tls ").append(tls.name().toLowerCase(Locale.ROOT));
        credentials.ifPresent(c -> s.append(", auth as ").append(c.username()));
        if (kind == Kind.MX && mtaSts != MtaStsOverride.AS_PUBLISHED) {
            s.append(", mta-sts ").append(mtaSts.name().toLowerCase(Locale.ROOT));
        }
        return s.append(')').toString();
    }

    /** A value: the same rule, kind, host, port, TLS policy, login and MTA-STS option. */
    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Route)) {
            return false;
        }
        Route other = (Route) o;
        return rule.equals(other.rule) && kind == other.kind && Objects.equals(host, other.host) && port == other.port
                && tls == other.tls && credentials.equals(other.credentials) && mtaSts == other.mtaSts;
    }

    @Override
    public int hashCode() {
        return Objects.hash(rule, kind, host, port, tls, mtaSts);
    }

    @Override
    public String toString() {
        return describe();
    }
}
