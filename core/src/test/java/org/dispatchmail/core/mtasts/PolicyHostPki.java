package org.dispatchmail.core.mtasts;

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
 * Certificates for a test policy host, made with the JDK's keytool in a temporary directory: a test CA, a server
 * certificate it signed for {@code localhost}, one it signed for another name, and a self-signed one for
 * {@code localhost}.
 */
final class PolicyHostPki {
    static final String HOST = "localhost";
    private static final String PASSWORD = "changeit";
    private static PolicyHostPki instance;

    private final Path dir;

    private PolicyHostPki(Path dir) {
        this.dir = dir;
    }

    static synchronized PolicyHostPki get() throws Exception {
        if (instance == null) {
            Path dir = Files.createTempDirectory("dispatch-mta-sts-pki");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                File[] files = dir.toFile().listFiles();
                for (File file : files == null ? new File[0] : files) {
                    file.delete();
                }
                dir.toFile().delete();
            }));
            PolicyHostPki pki = new PolicyHostPki(dir);
            pki.make();
            instance = pki;
        }
        return instance;
    }

    private void make() throws Exception {
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=Policy Host Test CA", "-ext", "bc:c", "-validity", "30", "-keystore", "ca.p12");
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "trust.p12");
        signed("server", HOST);
        signed("other", "mta-sts.other.test");
        keytool("-genkeypair", "-alias", "self", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + HOST, "-ext", "san=dns:" + HOST, "-validity", "30", "-keystore", "self.p12");
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
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + output);
        }
    }

    /** Trusts the test CA only. */
    KeyStore trustStore() throws Exception {
        return load("trust.p12");
    }

    /** A certificate for localhost, signed by the test CA. */
    SSLContext trustedServer() throws Exception {
        return serverContext("server.p12");
    }

    /** A certificate signed by the test CA, but for mta-sts.other.test. */
    SSLContext otherNameServer() throws Exception {
        return serverContext("other.p12");
    }

    /** A self-signed certificate for localhost. */
    SSLContext selfSignedServer() throws Exception {
        return serverContext("self.p12");
    }

    private KeyStore load(String file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(dir.resolve(file))) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private SSLContext serverContext(String file) throws Exception {
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(load(file), PASSWORD.toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }
}
