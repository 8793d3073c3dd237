package org.dispatchmail.core.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Test certificates made with the JDK's keytool, once per host and test run, in a temporary directory: a test CA, a
 * server certificate it signed for the host, one it signed for {@link #OTHER_NAME}, and a self-signed one for the
 * host. For tests of TLS clients that check (or note) who they talk to: SMTP delivery, MTA-STS policy hosts.
 */
public final class TestPki {

    /** The name of the CA-signed certificate that is not the host's. */
    public static final String OTHER_NAME = "other-name.test";
    private static final String PASSWORD = "changeit";
    private static final Map<String, TestPki> BY_HOST = new HashMap<>();

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    /** The certificates for {@code host}, made at the first call. */
    public static synchronized TestPki forHost(String host) throws Exception {
        TestPki made = BY_HOST.get(host);
        if (made == null) {
            Path dir = Files.createTempDirectory("dispatch-pki");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                File[] files = dir.toFile().listFiles();
                for (File file : files == null ? new File[0] : files) {
                    file.delete();
                }
                dir.toFile().delete();
            }));
            made = new TestPki(dir);
            made.make(host);
            BY_HOST.put(host, made);
        }
        return made;
    }

    private void make(String host) throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=Dispatch Test CA", "-ext", "bc:c", "-validity", "30", "-keystore", "ca.p12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "trust.p12");
        signed("server", host);
        signed("other", OTHER_NAME);
        keytool("-genkeypair", "-alias", "self", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + host, "-ext", "san=dns:" + host, "-validity", "30", "-keystore", "self.p12");
    }

    private void signed(String name, String host) throws Exception {
        String store = name + ".p12";
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + host, "-validity", "30", "-keystore", store);
        keytool("-certreq", "-alias", name, "-keystore", store, "-file", name + ".csr");
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-infile", name + ".csr",
                "-outfile", name + ".pem", "-ext", "san=dns:" + host, "-validity", "30");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", store);
        keytool("-importcert", "-alias", name, "-file", name + ".pem", "-keystore", store);
    }

    private void keytool(String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool");
        command.addAll(Arrays.asList(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", PASSWORD));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: "
                    + new String(output, StandardCharsets.UTF_8));
        }
    }

    /** The client's trust store: the test CA only. */
    public KeyStore trustStore() {
        try {
            return KeyStore.getInstance(trustStorePath().toFile(), PASSWORD.toCharArray());
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("the test trust store does not load: " + e.getMessage(), e);
        }
    }

    public Path trustStorePath() {
        return dir.resolve("trust.p12");
    }

    public String password() {
        return PASSWORD;
    }

    /** A server with a certificate for the host, signed by the test CA. */
    public SSLContext caSignedServer() throws Exception {
        return serverContext("server.p12");
    }

    /** A server with a certificate signed by the test CA, but for {@link #OTHER_NAME}. */
    public SSLContext otherNameServer() throws Exception {
        return serverContext("other.p12");
    }

    /** A server with a self-signed certificate for the host. */
    public SSLContext selfSignedServer() throws Exception {
        return serverContext("self.p12");
    }

    private SSLContext serverContext(String file) throws Exception {
        KeyStore store = KeyStore.getInstance(dir.resolve(file).toFile(), PASSWORD.toCharArray());
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }
}
