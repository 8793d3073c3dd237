package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebAdminCredentialsTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    @TempDir
    Path state;

    @Test
    void firstStartMakesAKeyPairAndAnAdminTokenOnlyTheOwnerMayRead() throws Exception {
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clockAt(NOW));

        assertThat(mode(state.resolve("webadmin/jwt-private.pem"))).isEqualTo("rw-------");
        assertThat(mode(state.resolve("admin-token"))).isEqualTo("rw-------");
        assertThat(Files.readString(credentials.publicKeyFile())).startsWith("-----BEGIN PUBLIC KEY-----\n");
        String token = Files.readString(credentials.tokenFile()).trim();
        PublicKey publicKey = publicKey(credentials.publicKeyFile());
        assertThat(AdminJwt.validUntil(token, publicKey, NOW.plus(Duration.ofDays(3649)))).isTrue();
        assertThat(AdminJwt.validUntil(token, publicKey, NOW.plus(Duration.ofDays(3651)))).as("expired").isFalse();
        assertThat(claims(token)).contains("\"sub\":\"admin\"", "\"admin\":true");
        assertThat(header(token)).isEqualTo("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    }

    @Test
    void aCurrentTokenIsKeptAndOneNearItsEndIsMadeAgain() throws Exception {
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clockAt(NOW));
        String first = Files.readString(credentials.tokenFile());

        WebAdminCredentials.in(state).ensure(clockAt(NOW.plus(Duration.ofDays(100))));
        assertThat(Files.readString(credentials.tokenFile())).isEqualTo(first);

        Instant late = NOW.plus(WebAdminCredentials.TOKEN_LIFETIME).minus(Duration.ofDays(10));
        WebAdminCredentials.in(state).ensure(clockAt(late));
        String renewed = Files.readString(credentials.tokenFile()).trim();
        assertThat(renewed).isNotEqualTo(first.trim());
        assertThat(AdminJwt.validUntil(renewed, publicKey(credentials.publicKeyFile()), late.plus(Duration.ofDays(365))))
            .isTrue();
    }

    @Test
    void aTokenOfAnotherKeyIsReplacedByOneOfTheStateKey() throws Exception {
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clockAt(NOW));
        String foreign = AdminJwt.sign(otherKeyPair().getPrivate(), "admin", NOW, NOW.plus(Duration.ofDays(1000)));
        SecretFiles.write(credentials.tokenFile(), foreign + "\n");

        WebAdminCredentials.in(state).ensure(clockAt(NOW));
        String token = Files.readString(credentials.tokenFile()).trim();
        assertThat(token).isNotEqualTo(foreign);
        assertThat(AdminJwt.validUntil(token, publicKey(credentials.publicKeyFile()), NOW)).isTrue();
    }

    @Test
    void aTokenSignedWithAnotherKeyOrTamperedWithDoesNotVerify() throws Exception {
        WebAdminCredentials credentials = WebAdminCredentials.in(state).ensure(clockAt(NOW));
        PublicKey publicKey = publicKey(credentials.publicKeyFile());
        String foreign = AdminJwt.sign(otherKeyPair().getPrivate(), "admin", NOW, NOW.plus(Duration.ofDays(1)));
        String own = credentials.newToken("alice", NOW, Duration.ofDays(1));
        String[] parts = own.split("\\.");
        String tampered = parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(
            "{\"sub\":\"mallory\",\"admin\":true,\"exp\":9999999999}".getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

        assertThat(AdminJwt.validUntil(own, publicKey, NOW)).isTrue();
        assertThat(claims(own)).contains("\"sub\":\"alice\"");
        assertThat(AdminJwt.validUntil(foreign, publicKey, NOW)).isFalse();
        assertThat(AdminJwt.validUntil(tampered, publicKey, NOW)).isFalse();
        assertThatThrownBy(() -> credentials.newToken("a\"b", NOW, Duration.ofDays(1)))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyOrTokenFileOthersMayReadStopsStartUp() throws Exception {
        WebAdminCredentials.in(state).ensure(clockAt(NOW));
        Path privateKey = state.resolve("webadmin/jwt-private.pem");
        Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> WebAdminCredentials.in(state).ensure(clockAt(NOW)))
            .isInstanceOf(LaunchException.class).hasMessageEndingWith("run chmod 600 " + privateKey);

        Files.setPosixFilePermissions(privateKey, PosixFilePermissions.fromString("rw-------"));
        Path token = state.resolve("admin-token");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> WebAdminCredentials.in(state).ensure(clockAt(NOW)))
            .isInstanceOf(LaunchException.class).hasMessageEndingWith("run chmod 600 " + token);
    }

    @Test
    void noTokenIsMadeWithoutTheStateKey() {
        assertThatThrownBy(() -> WebAdminCredentials.in(state).newToken("admin", NOW, Duration.ofDays(1)))
            .isInstanceOf(LaunchException.class).hasMessageStartingWith("no webadmin signing key at "
                + state.resolve("webadmin/jwt-private.pem"));
    }

    private static Clock clockAt(Instant instant) {
        return Clock.fixed(instant, ZoneOffset.UTC);
    }

    private static String mode(Path file) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    private static PublicKey publicKey(Path pem) throws Exception {
        String body = Files.readString(pem).replaceAll("-----[A-Z ]+-----", "");
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getMimeDecoder().decode(body)));
    }

    private static KeyPair otherKeyPair() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static String header(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[0]), StandardCharsets.UTF_8);
    }

    private static String claims(String token) {
        return new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    }
}
