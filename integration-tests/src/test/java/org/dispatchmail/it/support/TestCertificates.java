package org.dispatchmail.it.support;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A test certificate authority made with Debian's openssl, and server certificates it signs for
 * given names: PEM files for Postfix and aiosmtpd, and a PKCS12 truststore holding the CA for a
 * Java client (Dispatch's delivery truststore).
 */
public final class TestCertificates {
    private static final String OPENSSL = "/usr/bin/openssl";
    public static final String TRUSTSTORE_PASSWORD = "changeit";

    private final Path dir;
    private int serial = 1;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** A new CA ("Dispatch Test CA") in a fresh temp folder readable by the peers' service users. */
    public static TestCertificates create() throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(OPENSSL))) {
            throw new IllegalStateException(OPENSSL + " is missing: install Debian's openssl package (.ci/run does)");
        }
        Path dir = Files.createTempDirectory("test-ca-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestCertificates ca = new TestCertificates(dir);
        ca.run(OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
            "-keyout", ca.caKey().toString(), "-out", ca.caCertificate().toString(),
            "-subj", "/CN=Dispatch Test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        ca.run(javaTool("keytool"), "-importcert", "-noprompt", "-alias", "dispatch-test-ca",
            "-file", ca.caCertificate().toString(), "-keystore", ca.truststore().toString(),
            "-storetype", "PKCS12", "-storepass", TRUSTSTORE_PASSWORD);
        return ca;
    }

    /** The CA certificate, PEM. */
    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    /** A PKCS12 truststore with only the CA in it; password {@link #TRUSTSTORE_PASSWORD}. */
    public Path truststore() {
        return dir.resolve("ca-truststore.p12");
    }

    /** A TLS client context that trusts this CA only. */
    public SSLContext clientContext() throws IOException, GeneralSecurityException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore())) {
            trust.load(in, TRUSTSTORE_PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    /**
     * A server certificate signed by this CA, its subject the first name, every name (DNS names, or
     * IP addresses) in subjectAltName. The key is readable by the peer's service user.
     */
    public ServerCertificate server(String... names) throws IOException, InterruptedException {
        String base = "server-" + (serial++);
        Path key = dir.resolve(base + ".key");
        Path request = dir.resolve(base + ".csr");
        Path certificate = dir.resolve(base + ".crt");
        Path extensions = dir.resolve(base + ".ext");
        List<String> alternatives = new ArrayList<>();
        for (String name : names) {
            alternatives.add((name.matches("[0-9.]+") ? "IP:" : "DNS:") + name);
        }
        Files.writeString(extensions, "subjectAltName=" + String.join(",", alternatives) + "\n"
            + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
            + "extendedKeyUsage=serverAuth\n");
        run(OPENSSL, "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", key.toString(),
            "-out", request.toString(), "-subj", "/CN=" + names[0]);
        run(OPENSSL, "x509", "-req", "-sha256", "-days", "30", "-in", request.toString(),
            "-CA", caCertificate().toString(), "-CAkey", caKey().toString(), "-set_serial", String.valueOf(serial + 1000),
            "-extfile", extensions.toString(), "-out", certificate.toString());
        // Postfix and aiosmtpd read it after dropping root
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        return new ServerCertificate(certificate, key);
    }

    /**
     * The server certificate and its key as a PKCS12 keystore (password {@link #TRUSTSTORE_PASSWORD}), for a
     * server in the test JVM such as an HTTPS host.
     */
    public Path keystore(ServerCertificate server) throws IOException, InterruptedException {
        Path keystore = dir.resolve("server-" + (serial++) + ".p12");
        run(OPENSSL, "pkcs12", "-export", "-in", server.certificate().toString(), "-inkey", server.key().toString(),
            "-certfile", caCertificate().toString(), "-name", "server", "-out", keystore.toString(),
            "-passout", "pass:" + TRUSTSTORE_PASSWORD);
        return keystore;
    }

    private Path caKey() {
        return dir.resolve("ca.key");
    }

    private static String javaTool(String name) {
        return Path.of(System.getProperty("java.home"), "bin", name).toString();
    }

    private void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
        }
    }

    /** A server's certificate and unencrypted private key, both PEM. */
    public static final class ServerCertificate {
        private final Path certificate;
        private final Path key;

        ServerCertificate(Path certificate, Path key) {
            this.certificate = certificate;
            this.key = key;
        }

        public Path certificate() {
            return certificate;
        }

        public Path key() {
            return key;
        }
    }
}
