package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.it.support.DispatchNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The compose files as Docker Compose reads them (docker-compose config: Docker itself cannot run
 * here): valid, webadmin published on the host's loopback only, secrets mounted and never in the
 * environment, and an image that makes no secret at build time.
 */
class DockerComposeConfigIT {
    private static final Path DOCKER = DispatchNode.projectConf().getParent().resolve("docker");

    @ParameterizedTest
    @CsvSource({"compose.yaml, 1", "compose.cluster.yaml, 2"})
    void composeFileIsValidAndKeepsSecretsOutOfImagesAndEnvironment(String file, int jamesNodes) throws Exception {
        String config = config(file);

        assertThat(count(config, "dispatch-secrets:/var/lib/dispatch:ro")).as("James nodes reading the secrets volume")
            .isEqualTo(jamesNodes);
        assertThat(count(config, ":8000/tcp")).as("webadmin publications").isEqualTo(jamesNodes);
        assertThat(config).doesNotContainPattern("published: 800[0-9]\\s")
            .as("no password or token as a value in the environment or build arguments")
            .doesNotContainPattern("(?im)^\\s*\\w*(PASSWORD|TOKEN)\\w*:[ \\t]*\\S")
            .contains("source: cassandra_password")
            .contains("create-role.sh").contains("enable-auth.sh");
        assertThat(config).containsPattern("127\\.0\\.0\\.1:8000:8000/tcp");
    }

    @Test
    void theImageMakesNoSecretAtBuildTime() throws IOException {
        String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
        for (String maker : List.of("keytool", "urandom", "openssl", "keystore.p12 /root/conf", "dkim-master.key")) {
            assertThat(dockerfile).as("the Dockerfile runs or copies " + maker).doesNotContain(maker);
        }
        assertThat(dockerfile).contains("cassandra.passwordFile=/run/secrets/cassandra_password")
            .contains("dkim.masterKeyFile=/var/lib/dispatch/dkim/master.key")
            .contains("jwt.publickeypem.url=file:///var/lib/dispatch/webadmin/jwt-public.pem");
    }

    private static String config(String file) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("docker-compose", "-f", DOCKER.resolve(file).toString(), "config")
                .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IllegalStateException("docker-compose is not installed (Debian package docker-compose,"
                + " see .ci/run): " + e.getMessage(), e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("docker-compose -f %s config:\n%s", file, output).isZero();
        return output;
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }
}
