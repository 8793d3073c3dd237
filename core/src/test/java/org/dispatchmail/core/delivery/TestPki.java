package org.dispatchmail.core.delivery;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Test certificates made with the JDK's keytool: a CA, a server certificate it signed for mx.dest.test, and a
 * self-signed one for the same name. Made once per test run in a temporary directory.
 */
final class TestPki {

    static final String HOST = "mx.dest.test";
    private static final String PASSWORD = "changeit";
    private static TestPki instance;

    private final Path dir;

    private TestPki(Path dir) {
        this.dir = dir;
    }

    static synchronized TestPki get() throws Exception {
        if (instance == null) {
            Path dir = Files.createTempDirectory("dispatch-pki");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                File[] files = dir.toFile().listFiles();
                for (File file : files == null ? new File[0] : files) {
                    file.delete();
                }
                dir.toFile().delete();
            }));
            TestPki pki = new TestPki(dir);
            pki.make();
            instance = pki;
        }
        return instance;
    }

    private void make() throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=Dispatch Test CA", "-ext", "bc:c", "-validity", "30", "-keystore", "ca.p12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "trust.p12");

        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + HOST, "-validity", "30", "-keystore", "server.p12");
        keytool("-certreq", "-alias", "server", "-keystore", "server.p12", "-file", "server.csr");
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-infile", "server.csr",
                "-outfile", "server.pem", "-ext", "san=dns:" + HOST, "-validity", "30");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "server.p12");
        keytool("-importcert", "-alias", "server", "-file", "server.pem", "-keystore", "server.p12");

        keytool("-genkeypair", "-alias", "self", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + HOST, "-ext", "san=dns:" + HOST, "-validity", "30", "-keystore", "self.p12");
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
    KeyStore trustStore() {
        return DeliverySettings.loadTrustStore(trustStorePath().toString(), PASSWORD);
    }

    Path trustStorePath() {
        return dir.resolve("trust.p12");
    }

    String password() {
        return PASSWORD;
    }

    /** A server with a certificate for {@link #HOST} signed by the test CA. */
    SSLContext caSignedServer() throws Exception {
        return serverContext("server.p12");
    }

    /** A server with a self-signed certificate for {@link #HOST}. */
    SSLContext selfSignedServer() throws Exception {
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
