package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.dispatchmail.core.routing.SmtpCredentials;

/** One server address to deliver to, and how to talk to it. */
public final class SmtpTarget {
    private final String hostName;
    private final InetAddress address;
    private final int port;
    private final TlsRequirement tls;
    private final Optional<SmtpCredentials> credentials;

    public SmtpTarget(String hostName, InetAddress address, int port, TlsRequirement tls,
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

    /** What TLS this delivery needs; part of the key, so sessions are never shared across requirements. */
    public TlsRequirement tls() {
        return tls;
    }

    public Optional<SmtpCredentials> credentials() {
        return credentials;
    }

    /**
     * Connections may be shared only between identical targets: the same login with another password is
     * another target, or a session logged in with the right password would hide a wrong one. The key
     * holds an HMAC of the password under a random key of this process, never the password nor a plain
     * digest of it (one that could be guessed offline); and logs show {@link #toString}, which has neither.
     */
    public String key() {
        return toString() + credentials.map(c -> "#" + PasswordTag.of(c.password())).orElse("");
    }

    /** Identifies a password within this process only: the HMAC key is random and never leaves memory. */
    private static final class PasswordTag {
        private static final byte[] PROCESS_KEY = new byte[32];

        static {
            new SecureRandom().nextBytes(PROCESS_KEY);
        }

        static String of(String password) {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(PROCESS_KEY, "HmacSHA256"));
                return Base64.getEncoder().encodeToString(mac.doFinal(password.getBytes(StandardCharsets.UTF_8)));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
            }
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

    /** Host, address, port, TLS requirement and login name: what a log line may show. */
    @Override
    public String toString() {
        return hostName + "[" + address.getHostAddress() + "]:" + port + "/" + tls
            + credentials.map(c -> "/" + c.username()).orElse("");
    }
}
