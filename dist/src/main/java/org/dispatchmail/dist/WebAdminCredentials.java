package org.dispatchmail.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/**
 * The key pair that signs webadmin tokens and the admin token signed with it, kept in the state folder:
 *
 * <pre>
 * webadmin/jwt-private.pem   RSA private key (PKCS#8), 0600
 * webadmin/jwt-public.pem    its public half, what James's webadmin verifies tokens with
 * admin-token                a token for "admin", 0600, valid TOKEN_LIFETIME, made again when it
 *                            no longer verifies with the key or expires within RENEW_BEFORE
 * </pre>
 */
final class WebAdminCredentials {
    static final Duration TOKEN_LIFETIME = Duration.ofDays(3650);
    static final Duration RENEW_BEFORE = Duration.ofDays(30);
    static final String ADMIN_SUBJECT = "admin";

    private final Path privateKeyFile;
    private final Path publicKeyFile;
    private final Path tokenFile;

    private WebAdminCredentials(Path state) {
        this.privateKeyFile = state.resolve("webadmin/jwt-private.pem");
        this.publicKeyFile = state.resolve("webadmin/jwt-public.pem");
        this.tokenFile = state.resolve("admin-token");
    }

    static WebAdminCredentials in(Path state) {
        return new WebAdminCredentials(state);
    }

    /** Makes whatever is missing or stale; fails when a secret file is open to group or others. */
    WebAdminCredentials ensure(Clock clock) throws LaunchException {
        if (!Files.exists(privateKeyFile)) {
            SecretFiles.privateDirectory(privateKeyFile.getParent());
            KeyPair pair = newKeyPair();
            SecretFiles.write(privateKeyFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            writePublic(pair.getPublic());
        }
        PrivateKey privateKey = privateKey();
        PublicKey publicKey = publicKeyOf(privateKey);
        if (!Files.exists(publicKeyFile) || !readPem(publicKeyFile).equals(pem("PUBLIC KEY", publicKey.getEncoded()))) {
            writePublic(publicKey);
        }
        Instant now = clock.instant();
        boolean current = Files.exists(tokenFile)
            && AdminJwt.validUntil(SecretFiles.read(tokenFile), publicKey, now.plus(RENEW_BEFORE));
        if (!current) {
            SecretFiles.write(tokenFile, AdminJwt.sign(privateKey, ADMIN_SUBJECT, now, now.plus(TOKEN_LIFETIME)) + "\n");
        }
        return this;
    }

    /** A new token signed with the state's key ("dispatch token"). */
    String newToken(String subject, Instant now, Duration lifetime) throws LaunchException {
        if (!Files.exists(privateKeyFile)) {
            throw new LaunchException("no webadmin signing key at " + privateKeyFile
                + ": run 'dispatch run' (or 'dispatch init') with this --state first");
        }
        return AdminJwt.sign(privateKey(), subject, now, now.plus(lifetime));
    }

    Path publicKeyFile() {
        return publicKeyFile;
    }

    Path tokenFile() {
        return tokenFile;
    }

    private PrivateKey privateKey() throws LaunchException {
        String text = SecretFiles.read(privateKeyFile);
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pemBody(text)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new LaunchException(privateKeyFile + " is not an RSA private key in PKCS#8 PEM (BEGIN PRIVATE KEY): "
                + e.getMessage());
        }
    }

    private static PublicKey publicKeyOf(PrivateKey key) throws LaunchException {
        if (!(key instanceof RSAPrivateCrtKey)) {
            throw new LaunchException("the webadmin signing key does not carry its public exponent");
        }
        RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) key;
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
        } catch (GeneralSecurityException e) {
            throw new LaunchException("cannot derive the webadmin public key: " + e.getMessage());
        }
    }

    private void writePublic(PublicKey key) throws LaunchException {
        try {
            Files.writeString(publicKeyFile, pem("PUBLIC KEY", key.getEncoded()));
        } catch (IOException e) {
            throw new LaunchException("cannot write " + publicKeyFile + ": " + e.getMessage());
        }
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is not available: " + e.getMessage(), e);
        }
    }

    private static String readPem(Path file) throws LaunchException {
        try {
            return Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new LaunchException("cannot read " + file + ": " + e.getMessage());
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
            + "\n-----END " + type + "-----\n";
    }

    private static byte[] pemBody(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
    }
}
