package org.dispatchmail.dist;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the PKCS12 keystore the TLS listeners use when the admin configured none: a self-signed
 * RSA certificate for this host, made once by the JDK's keytool and kept in the state folder.
 */
final class SelfSignedCertificate {
    /** The password conf/smtpserver.xml gives for conf/keystore.p12. */
    static final String SECRET = "dispatch-self-signed";

    private SelfSignedCertificate() {
    }

    static void ensure(Path keystore) throws LaunchException {
        if (Files.isRegularFile(keystore)) {
            return;
        }
        String host = hostName();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = List.of(keytool.toString(), "-genkeypair", "-alias", "dispatch", "-keyalg", "RSA",
            "-keysize", "2048", "-validity", "825", "-dname", "CN=" + host,
            "-ext", "SAN=dns:" + host + ",dns:localhost,ip:127.0.0.1",
            "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", SECRET, "-keypass", SECRET);
        try {
            SecretFiles.privateDirectory(keystore.getParent());
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new LaunchException("keytool could not make a self-signed certificate: " + output.trim());
            }
            // it holds the private key; its password is no secret (conf/smtpserver.xml)
            Files.setPosixFilePermissions(keystore, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new LaunchException("cannot run " + keytool + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException("interrupted while making a self-signed certificate");
        }
    }

    private static String hostName() {
        try {
            String name = InetAddress.getLocalHost().getCanonicalHostName();
            return name.matches("[A-Za-z0-9.-]+") ? name : "localhost";
        } catch (IOException e) {
            return "localhost";
        }
    }
}
