package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    /**
     * Connections may be shared only between identical targets: the same login with another password is
     * another target, or a session logged in with the right password would hide a wrong one. The key
     * holds a digest of the password, never the password (keys appear in logs).
     */
    public String key() {
        return hostName + "[" + address.getHostAddress() + "]:" + port + "/" + tls
            + credentials.map(c -> "/" + c.username() + "#" + digest(c.password())).orElse("");
    }

    private static String digest(String password) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8));
            StringBuilder hex = new StringBuilder();
            for (int i = 0; i < 4; i++) {
                hex.append(String.format("%02x", hash[i]));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
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
