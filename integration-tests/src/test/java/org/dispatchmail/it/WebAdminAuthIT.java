package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The webadmin as shipped: every route of James and of Dispatch needs the token the launcher made
 * (401 without one, with one of another key, or without "admin": true), the admin commands send it,
 * and the launcher's secret files are readable by their owner only.
 */
@ExtendWith(CassandraExtension.class)
class WebAdminAuthIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** One route of each kind: James's own, and each of Dispatch's. */
    private static final List<String> GUARDED = List.of("/domains", "/users", "/dispatch/queue/summary",
        "/dispatch/dkim/keys", "/dispatch/submission/users", "/dispatch/tls/example.org");

    private static DispatchNode node;

    @BeforeAll
    static void start(EmbeddedCassandra cassandra) throws Exception {
        node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "cassandra.keyspace", "e2e_webadmin_auth"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void everyRouteRefusesACallWithoutAValidAdminToken() throws Exception {
        String foreignToken = token(otherKey(), "admin", true, Instant.now().plusSeconds(3600));
        String notAdmin = token(stateKey(), "admin", false, Instant.now().plusSeconds(3600));
        String expired = token(stateKey(), "admin", true, Instant.now().minusSeconds(60));
        for (String path : GUARDED) {
            assertThat(status(path, Optional.empty())).as("GET %s without a token", path).isEqualTo(401);
            assertThat(status(path, Optional.of(foreignToken))).as("GET %s, token of another key", path).isEqualTo(401);
            assertThat(status(path, Optional.of(notAdmin))).as("GET %s, token without admin: true", path).isEqualTo(401);
            assertThat(status(path, Optional.of(expired))).as("GET %s, expired token", path).isEqualTo(401);
            assertThat(status(path, Optional.of(node.adminToken()))).as("GET %s, the launcher's token", path)
                .isEqualTo(200);
        }
        HttpResponse<String> write = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + "/domains/open.test"))
            .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(write.statusCode()).as("a change without a token").isEqualTo(401);
        assertThat(status("/domains/open.test", Optional.of(node.adminToken()))).as("and it was not made").isEqualTo(404);
    }

    @Test
    void metricsStayOpenForScrapers() throws Exception {
        assertThat(status("/metrics", Optional.empty())).isEqualTo(200);
    }

    @Test
    void theAdminCommandsSendTheLaunchersToken() throws Exception {
        assertThat(node.admin("queue", "summary")).doesNotContain("401");
        node.admin("add-domain", "auth.test");
        node.adminWithInput("first line is the password\nnot this\n", "add-user", "bob@auth.test");
        HttpResponse<String> users = HTTP.send(HttpRequest.newBuilder(URI.create(node.webadmin() + "/users"))
            .header("Authorization", node.bearer()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(users.body()).contains("bob@auth.test");

        Path tokens = Files.createTempDirectory("dispatch-tokens-");
        Path foreign = tokens.resolve("foreign-token");
        Files.writeString(foreign, token(otherKey(), "admin", true, Instant.now().plusSeconds(3600)));
        Files.setPosixFilePermissions(foreign, PosixFilePermissions.fromString("rw-------"));
        assertThat(cli("", "queue", "summary", "--token-file", foreign.toString()))
            .contains("HTTP 401").contains("does not accept the token of " + foreign);

        Path own = tokens.resolve("own-token");
        Files.writeString(own, node.adminToken());
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(cli("", "queue", "summary", "--token-file", own.toString())).contains("run chmod 600 " + own);
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rw-------"));
        assertThat(cli("", "queue", "summary", "--token-file", own.toString())).doesNotContain("401");

        assertThat(cli("", "add-user", "eve@auth.test", "on-the-command-line"))
            .contains("add-user takes no password on the command line");
    }

    @Test
    void anotherTokenCanBeMadeWithTheStateKey() throws Exception {
        String made = cli("", "token", "--subject", "monitoring", "--days", "1").trim();
        assertThat(status("/dispatch/queue/summary", Optional.of(made))).isEqualTo(200);
        assertThat(new String(Base64.getUrlDecoder().decode(made.split("\\.")[1]), StandardCharsets.UTF_8))
            .contains("\"sub\":\"monitoring\"");
    }

    @Test
    void theLaunchersSecretsAreReadableByTheirOwnerOnly() throws Exception {
        Path state = node.stateDir();
        assertThat(mode(state)).isEqualTo("rwx------");
        for (String secret : List.of("admin-token", "webadmin/jwt-private.pem", "dkim/master.key", "tls/keystore.p12")) {
            assertThat(mode(state.resolve(secret))).as(secret).isEqualTo("rw-------");
        }
    }

    @Test
    void aSecretFileOthersMayReadStopsStartUp() throws Exception {
        Path dir = Files.createTempDirectory("dispatch-open-secret-");
        Path conf = DispatchNode.prepareConf(dir, Map.of("cassandra.contactPoints", "127.0.0.1:" + FreePorts.pick()),
            new LinkedHashMap<>(), FreePorts.pick());
        Path state = dir.resolve("state");
        assertThat(run(DispatchNode.launcher("init", "--state", state.toString()))).contains("admin token");
        Path token = state.resolve("admin-token");
        Files.setPosixFilePermissions(token, PosixFilePermissions.fromString("rw-r--r--"));

        String output = run(DispatchNode.launcher("run", "--conf", conf.toString(), "--state", state.toString()));
        assertThat(output).contains(token + " holds a secret").contains("run chmod 600 " + token);
    }

    private static String run(ProcessBuilder builder) throws Exception {
        Process process = builder.redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    /** A launcher admin command against the node with the node's state; its output, whatever its exit code. */
    private static String cli(String input, String... arguments) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of(arguments));
        all.addAll(List.of("--webadmin", node.webadmin().toString(), "--state", node.stateDir().toString()));
        Process process = DispatchNode.launcher(all.toArray(new String[0])).redirectErrorStream(true).start();
        process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    private static int status(String path, Optional<String> token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.webadmin() + path)).GET();
        token.ifPresent(jwt -> request.header("Authorization", "Bearer " + jwt));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static String mode(Path path) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    }

    private static PrivateKey stateKey() throws Exception {
        String pem = Files.readString(node.stateDir().resolve("webadmin/jwt-private.pem"));
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    private static PrivateKey otherKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair().getPrivate();
    }

    /** An RS256 JWT written here, independently of the launcher's code. */
    private static String token(PrivateKey key, String subject, boolean admin, Instant expires) throws Exception {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        String signed = base64.encodeToString("{\"alg\":\"RS256\"}".getBytes(StandardCharsets.UTF_8)) + "."
            + base64.encodeToString(("{\"sub\":\"" + subject + "\",\"admin\":" + admin + ",\"exp\":"
                + expires.getEpochSecond() + "}").getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        signature.update(signed.getBytes(StandardCharsets.US_ASCII));
        return signed + "." + base64.encodeToString(signature.sign());
    }
}
