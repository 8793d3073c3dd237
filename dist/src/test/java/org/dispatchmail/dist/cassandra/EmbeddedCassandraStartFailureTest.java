package org.dispatchmail.dist.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starts that cannot work must fail at once, with a message that says why. No real Cassandra here. */
class EmbeddedCassandraStartFailureTest {
    @TempDir
    Path tmp;

    private EmbeddedCassandra.Settings.Builder settings(Path libDir) {
        return EmbeddedCassandra.Settings.builder().libDir(libDir).baseDir(tmp.resolve("base"))
                .nativePort(FreePorts.pick()).storagePort(FreePorts.pick()).heap("64M")
                .startTimeout(Duration.ofSeconds(60));
    }

    @Test
    void missingLibDirFailsFastNamingTheFolder() {
        Path lib = tmp.resolve("no-such-lib");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).build()))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining(lib.toString())
                .hasMessageContaining("does not exist");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
        assertThat(tmp.resolve("base")).doesNotExist();
    }

    @Test
    void libDirWithoutCassandraFailsFastNamingTheFolder() throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("empty-lib"));
        Files.createFile(lib.resolve("jamm-0.4.0.jar"));
        assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).build()))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining(lib.toString())
                .hasMessageContaining("cassandra-all-*.jar");

        Files.delete(lib.resolve("jamm-0.4.0.jar"));
        Files.createFile(lib.resolve("cassandra-all-5.0.9.jar"));
        assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).build()))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining(lib.toString())
                .hasMessageContaining("jamm-*.jar");
    }

    @Test
    void libDirMixingLogbackVersionsFailsFast() throws IOException {
        Path lib = fakeLib();
        Files.createFile(lib.resolve("logback-classic-1.4.5.jar"));
        Files.createFile(lib.resolve("logback-core-1.5.18.jar"));
        assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).build()))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining(lib.toString())
                .hasMessageContaining("mixes versions of logback (logback-classic 1.4.5 vs logback-core 1.5.18)");
        assertThat(tmp.resolve("base")).doesNotExist();
    }

    @Test
    void portInUseIsReportedBeforeForking() throws IOException {
        Path lib = fakeLib();
        try (ServerSocket busy = new ServerSocket()) {
            busy.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = busy.getLocalPort();
            assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).nativePort(port).build()))
                    .isInstanceOf(CassandraStartException.class)
                    .hasMessageContaining("native (CQL) port 127.0.0.1:" + port)
                    .hasMessageContaining("not available");
            assertThatThrownBy(() -> EmbeddedCassandra.start(settings(lib).storagePort(port).build()))
                    .isInstanceOf(CassandraStartException.class)
                    .hasMessageContaining("storage port 127.0.0.1:" + port);
        }
        assertThat(tmp.resolve("base")).doesNotExist();
    }

    /** The jars are empty files: the JVM dies on the -javaagent at once, and start() must not wait for the timeout. */
    @Test
    void processThatExitsFailsFastWithTheEndOfItsOutput() throws IOException {
        Path lib = fakeLib();
        EmbeddedCassandra.Settings s = settings(lib).build();
        long t0 = System.nanoTime();
        CassandraStartException e = catchThrowableOfType(() -> EmbeddedCassandra.start(s), CassandraStartException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);

        assertThat(e).isNotNull();
        assertThat(took).isLessThan(Duration.ofSeconds(15));
        assertThat(e.getMessage())
                .contains("Cassandra exited with code")
                .contains("before its CQL port 127.0.0.1:" + s.nativePort())
                .contains(s.baseDir().resolve("logs/system.log").toString())
                .contains("Last lines of " + s.baseDir().resolve("logs/stdout.log"))
                .contains("jamm");
        assertThat(e.getMessage().lines().count()).isLessThan(30);
        assertThat(s.baseDir().resolve("cassandra.yaml")).exists();
        assertThat(s.baseDir().resolve("cassandra.pid")).doesNotExist();
    }

    private Path fakeLib() throws IOException {
        Path lib = Files.createDirectories(tmp.resolve("fake-lib"));
        if (!Files.exists(lib.resolve("cassandra-all-5.0.9.jar"))) {
            Files.createFile(lib.resolve("cassandra-all-5.0.9.jar"));
            Files.createFile(lib.resolve("jamm-0.4.0.jar"));
        }
        return lib;
    }
}
