package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/** One server address to deliver to, and how to talk to it. */
public final class SmtpTarget {
    private final String hostName;
    private final InetAddress address;
    private final int port;
    private final TlsPolicy tls;
    private final Optional<SmtpCredentials> credentials;

    public SmtpTarget(String hostName, InetAddress address, int port, TlsPolicy tls,
                      Optional<SmtpCredentials> credentials) {
        this.hostName = Objects.requireNonNull(hostName, "hostName");
        this.address = Objects.requireNonNull(address, "address");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.port = port;
        this.tls = Objects.requireNonNull(tls, "tls");
        this.credentials = Objects.requireNonNull(credentials, "credentials");
    }

    /** The MX or smart host name: certificates are checked against it, logs and reports show it. */
    public String hostName() {
        return hostName;
    }

    public InetAddress address() {
        return address;
    }

    public int port() {
        return port;
    }

    public TlsPolicy tls() {
        return tls;
    }

    public Optional<SmtpCredentials> credentials() {
        return credentials;
    }

    /** Connections may be shared only between identical targets. */
    public String key() {
        return hostName + "[" + address.getHostAddress() + "]:" + port + "/" + tls
            + credentials.map(c -> "/" + c.username()).orElse("");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SmtpTarget && ((SmtpTarget) o).key().equals(key());
    }

    @Override
    public int hashCode() {
        return key().hashCode();
    }

    @Override
    public String toString() {
        return key();
    }
}
