package org.dispatchmail.dist.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Cassandra 5.0 from the cassandra-server module's jars: start, CQL port, clean stop, restart on the same
 * data, kill. Takes 20-60 s (2 starts) and about 1.3 GB of RAM. The jars come from -Dcassandra.lib, else
 * ../cassandra-server/target/lib. Tagged "cassandra": {@code -DexcludedGroups=cassandra} skips it.
 */
@Tag("cassandra")
class EmbeddedCassandraTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void startsAcceptsCqlConnectionsStopsAndRestartsOnItsData() throws Exception {
        Path base = tmp.resolve("node");
        EmbeddedCassandra.Settings settings = EmbeddedCassandra.Settings.builder()
                .libDir(cassandraLib())
                .baseDir(base)
                .nativePort(FreePorts.pick())
                .storagePort(FreePorts.pick())
                .heap("512M")
                .build();
        EmbeddedCassandra first = null;
        EmbeddedCassandra second = null;
        try {
            long t0 = System.nanoTime();
            first = EmbeddedCassandra.start(settings);
            report("fresh start", t0, first);

            assertThat(first.isAlive()).isTrue();
            assertThat(ProcessHandle.of(first.pid())).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
            assertThat(first.contactPoint()).isEqualTo("127.0.0.1:" + settings.nativePort());
            assertThat(first.localDatacenter()).isEqualTo("datacenter1");
            assertThat(accepts(first.address(), first.nativePort())).isTrue();
            assertThat(first.logFile()).isEqualTo(base.resolve("logs/system.log"));
            assertThat(logMentionsWithin(first.logFile(), "Startup complete", Duration.ofSeconds(10))).isTrue();
            assertThat(Files.readString(base.resolve("cassandra.pid")).strip()).isEqualTo(Long.toString(first.pid()));

            // the same data directory cannot be opened twice
            EmbeddedCassandra.Settings twin = settings.toBuilder()
                    .nativePort(FreePorts.pick()).storagePort(FreePorts.pick()).build();
            assertThatThrownBy(() -> EmbeddedCassandra.start(twin))
                    .isInstanceOf(CassandraStartException.class)
                    .hasMessageContaining("already running on " + base);

            long pid = first.pid();
            t0 = System.nanoTime();
            first.close();
            System.out.printf("[cassandra-test] close() took %d ms%n", millis(t0));
            assertThat(first.isAlive()).isFalse();
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(accepts(settings.address(), settings.nativePort())).isFalse();
            assertThat(base.resolve("data")).isDirectory();
            assertThat(base.resolve("cassandra.pid")).doesNotExist();
            first.close(); // idempotent

            // restart on the existing data, on the same ports, then the quick way out
            t0 = System.nanoTime();
            second = EmbeddedCassandra.start(settings.toBuilder().deleteOnClose(true).build());
            report("restart on existing data", t0, second);
            assertThat(accepts(second.address(), second.nativePort())).isTrue();
            assertThat(second.pid()).isNotEqualTo(pid);

            t0 = System.nanoTime();
            second.kill();
            System.out.printf("[cassandra-test] kill() took %d ms%n", millis(t0));
            assertThat(second.isAlive()).isFalse();
            second.close();
            assertThat(base).doesNotExist();
        } finally {
            if (first != null) {
                first.kill();
            }
            if (second != null) {
                second.kill();
            }
        }
    }

    static Path cassandraLib() {
        String property = System.getProperty("cassandra.lib");
        Path lib = property != null ? Paths.get(property) : Paths.get("..", "cassandra-server", "target", "lib");
        assertThat(lib)
                .as("Cassandra jars expected in %s (set -Dcassandra.lib, or build the cassandra-server module:"
                        + " mvn -pl cassandra-server generate-resources)", lib.toAbsolutePath().normalize())
                .isDirectory();
        return lib.toAbsolutePath().normalize();
    }

    private static boolean logMentionsWithin(Path log, String text, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            if (Files.isRegularFile(log) && Files.readString(log).contains(text)) {
                return true;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        return false;
    }

    private static void report(String what, long t0, EmbeddedCassandra cassandra) {
        System.out.printf("[cassandra-test] %s: pid %d, cql %s, up in %d ms%n",
                what, cassandra.pid(), cassandra.contactPoint(), millis(t0));
    }

    private static long millis(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0).toMillis();
    }

    private static boolean accepts(String address, int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(address, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
