package org.dispatchmail.dist.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings, the rendered cassandra.yaml, the command line, the Java lookup, log tails, free ports: no process. */
class EmbeddedCassandraSettingsTest {
    @TempDir
    Path tmp;

    private EmbeddedCassandra.Settings.Builder minimal() {
        return EmbeddedCassandra.Settings.builder().libDir(tmp.resolve("lib")).baseDir(tmp.resolve("base"));
    }

    @Test
    void defaults() {
        EmbeddedCassandra.Settings s = minimal().build();
        assertThat(s.address()).isEqualTo("127.0.0.1");
        assertThat(s.nativePort()).isEqualTo(9042);
        assertThat(s.storagePort()).isEqualTo(7000);
        assertThat(s.heap()).isEqualTo("1G");
        assertThat(s.javaHome()).isEmpty();
        assertThat(s.startTimeout()).isEqualTo(Duration.ofSeconds(180));
        assertThat(s.deleteOnClose()).isFalse();
        assertThat(s.clusterName()).isEqualTo("dispatch");
        assertThat(s.libDir()).isEqualTo(tmp.resolve("lib"));
        assertThat(s.baseDir()).isEqualTo(tmp.resolve("base"));
    }

    @Test
    void relativePathsBecomeAbsoluteAndToBuilderCopies() {
        EmbeddedCassandra.Settings s = EmbeddedCassandra.Settings.builder()
                .libDir(Paths.get("some/../lib")).baseDir(Paths.get("base")).javaHome(Paths.get("jdk"))
                .nativePort(19042).storagePort(17000).heap("768M").clusterName("c").deleteOnClose(true)
                .startTimeout(Duration.ofSeconds(5)).address("127.0.0.2").build();
        assertThat(s.libDir()).isAbsolute().isEqualTo(Paths.get("lib").toAbsolutePath());
        assertThat(s.baseDir()).isAbsolute();
        assertThat(s.javaHome()).hasValueSatisfying(p -> assertThat(p).isAbsolute());

        EmbeddedCassandra.Settings copy = s.toBuilder().nativePort(29042).build();
        assertThat(copy.nativePort()).isEqualTo(29042);
        assertThat(copy.toString()).isEqualTo(s.toString().replace("nativePort=19042", "nativePort=29042"));
    }

    @Test
    void invalidSettingsAreRejectedWithTheirName() {
        assertThatThrownBy(() -> EmbeddedCassandra.Settings.builder().baseDir(tmp).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("libDir");
        assertThatThrownBy(() -> EmbeddedCassandra.Settings.builder().libDir(tmp).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseDir");
        assertThatThrownBy(() -> minimal().nativePort(0).build()).hasMessageContaining("nativePort");
        assertThatThrownBy(() -> minimal().storagePort(70000).build()).hasMessageContaining("storagePort");
        assertThatThrownBy(() -> minimal().nativePort(7000).build()).hasMessageContaining("must differ");
        assertThatThrownBy(() -> minimal().heap("1 G").build()).hasMessageContaining("heap");
        assertThatThrownBy(() -> minimal().address("a b").build()).hasMessageContaining("address");
        assertThatThrownBy(() -> minimal().clusterName("a\nb").build()).hasMessageContaining("clusterName");
        assertThatThrownBy(() -> minimal().startTimeout(Duration.ZERO).build()).hasMessageContaining("startTimeout");
    }

    @Test
    void yamlIsASingleSelfSeededNode() {
        String yaml = LaunchSupport.renderYaml(minimal().address("127.0.0.3").nativePort(19042).storagePort(17000)
                .clusterName("it's mine").build());
        assertThat(yaml)
                .contains("cluster_name: 'it''s mine'\n")
                .contains("num_tokens: 1\n")
                .contains("initial_token: 0\n")
                .contains("endpoint_snitch: SimpleSnitch\n")
                .contains("- seeds: \"127.0.0.3:17000\"\n")
                .contains("listen_address: 127.0.0.3\n")
                .contains("rpc_address: 127.0.0.3\n")
                .contains("storage_port: 17000\n")
                .contains("native_transport_port: 19042\n")
                .contains("authenticator: AllowAllAuthenticator\n")
                .contains("auto_snapshot: false\n")
                .contains("storage_compatibility_mode: NONE\n")
                .contains("commitlog_sync: periodic\n")
                .doesNotContain("{{")
                .doesNotContain("allocate_tokens_for_local_replication_factor:")
                .doesNotContain("jmx_");
    }

    @Test
    void logbackWritesSystemLogUnderTheLogDir() {
        assertThat(LaunchSupport.logbackXml()).contains("${cassandra.logdir}/system.log");
    }

    @Test
    void commandLine() {
        EmbeddedCassandra.Settings s = minimal().heap("768M").build();
        Path jamm = s.libDir().resolve("jamm-0.4.0.jar");
        Path java = Paths.get("/opt/jdk17/bin/java");
        List<String> cmd = LaunchSupport.command(s, java, jamm);
        Path base = s.baseDir();

        assertThat(cmd.get(0)).isEqualTo(java.toString());
        assertThat(cmd.subList(cmd.size() - 3, cmd.size()))
                .containsExactly("-cp", s.libDir() + "/*", "org.apache.cassandra.service.CassandraDaemon");
        assertThat(cmd).contains(
                "-Xms768M", "-Xmx768M", "-XX:+ExitOnOutOfMemoryError", "-XX:+UseG1GC", "-Xss256k",
                "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-javaagent:" + jamm,
                "-Dcassandra.config=" + base.resolve("cassandra.yaml").toUri(),
                "-Dcassandra.storagedir=" + base.resolve("data"),
                "-Dcassandra.logdir=" + base.resolve("logs"),
                "-Dlogback.configurationFile=" + base.resolve("logback.xml"),
                "-Dcassandra-foreground=yes",
                "-Dcassandra.skip_wait_for_gossip_to_settle=0",
                "-Dcassandra.superuser_setup_delay_ms=0",
                "-Dcassandra.ring_delay_ms=1000",
                "-Ddispatch.cassandra.base=" + base);
        assertThat(cmd).noneMatch(arg -> arg.startsWith("-Dcassandra.jmx") || arg.startsWith("-Dcom.sun.management.jmxremote"));
        assertThat(cmd).noneMatch(arg -> arg.startsWith("#") || arg.isBlank() || arg.contains(" "));
        assertThat(cmd).doesNotHaveDuplicates();
    }

    @Test
    void javaLookupOrder() throws Exception {
        Path explicit = fakeJdk("explicit");
        Path property = fakeJdk("property");
        Path env = fakeJdk("env");
        Path current = fakeJdk("current");
        Path fallback = fakeJdk("fallback");

        assertThat(LaunchSupport.resolveJavaHome(explicit, property.toString(), env.toString(), 17, current, fallback))
                .isEqualTo(explicit);
        assertThat(LaunchSupport.resolveJavaHome(null, property.toString(), env.toString(), 17, current, fallback))
                .isEqualTo(property);
        assertThat(LaunchSupport.resolveJavaHome(null, " ", env.toString(), 17, current, fallback)).isEqualTo(env);
        assertThat(LaunchSupport.resolveJavaHome(null, null, null, 17, current, fallback)).isEqualTo(current);
        assertThat(LaunchSupport.resolveJavaHome(null, null, null, 11, current, fallback)).isEqualTo(current);
        assertThat(LaunchSupport.resolveJavaHome(null, null, null, 25, current, fallback)).isEqualTo(fallback);
    }

    @Test
    void javaLookupFailureNamesWhatWasTried() {
        Path current = tmp.resolve("jdk-25");
        Path fallback = tmp.resolve("no-jdk-17");
        assertThatThrownBy(() -> LaunchSupport.resolveJavaHome(null, null, "", 25, current, fallback))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining("Settings.javaHome: not set")
                .hasMessageContaining("cassandra.java.home: not set")
                .hasMessageContaining("CASSANDRA_JAVA_HOME: not set")
                .hasMessageContaining(current + ": Java 25")
                .hasMessageContaining(fallback.resolve("bin/java") + " is not an executable file");

        Path missing = tmp.resolve("missing");
        assertThatThrownBy(() -> LaunchSupport.resolveJavaHome(null, missing.toString(), null, 17, current, fallback))
                .isInstanceOf(CassandraStartException.class)
                .hasMessageContaining("system property cassandra.java.home " + missing);
    }

    @Test
    void mixedLogbackOrNettyVersionsAreDetected() throws IOException {
        Path clean = Files.createDirectories(tmp.resolve("clean"));
        Path mixed = Files.createDirectories(tmp.resolve("mixed"));
        for (String jar : List.of("logback-classic-1.5.18.jar", "logback-core-1.5.18.jar", "netty-all-4.1.130.Final.jar",
                "netty-codec-4.1.130.Final.jar", "netty-transport-native-epoll-4.1.130.Final-linux-x86_64.jar",
                "netty-tcnative-boringssl-static-2.0.70.Final-linux-x86_64.jar", "netty-tcnative-classes-2.0.70.Final.jar",
                "guava-32.0.1-jre.jar", "jamm-0.4.0.jar")) {
            Files.createFile(clean.resolve(jar));
        }
        for (String jar : List.of("logback-classic-1.4.5.jar", "logback-core-1.5.18.jar", "netty-all-4.1.130.Final.jar",
                "netty-codec-4.1.86.Final.jar", "netty-tcnative-classes-2.0.70.Final.jar")) {
            Files.createFile(mixed.resolve(jar));
        }
        assertThat(LaunchSupport.mixedVersions(clean)).isNull();
        assertThat(LaunchSupport.mixedVersions(mixed))
                .contains("logback (logback-classic 1.4.5 vs logback-core 1.5.18)")
                .contains("netty (")
                .contains("4.1.130.Final")
                .contains("netty-codec 4.1.86.Final")
                .doesNotContain("tcnative");
    }

    @Test
    void logTailCollapsesStackTraces() throws IOException {
        Path log = tmp.resolve("system.log");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 50; i++) {
            text.append("INFO line ").append(i).append('\n');
        }
        text.append("ERROR boom\njava.lang.IllegalStateException: bad\n");
        for (int i = 0; i < 40; i++) {
            text.append("\tat org.apache.cassandra.Foo.bar").append(i).append("(Foo.java:1)\n");
        }
        text.append("Caused by: java.io.IOException: worse\n\tat a.B.c(B.java:2)\n\tat a.B.d(B.java:3)\n\t... 12 more\n");
        text.append("INFO last line\n");
        Files.writeString(log, text);

        List<String> tail = LogTail.lastLines(log, 9);
        assertThat(tail).containsExactly(
                "INFO line 49",
                "ERROR boom",
                "java.lang.IllegalStateException: bad",
                "  at org.apache.cassandra.Foo.bar0(Foo.java:1)",
                "  ... 39 more stack lines",
                "Caused by: java.io.IOException: worse",
                "  at a.B.c(B.java:2)",
                "  ... 2 more stack lines",
                "INFO last line");
    }

    @Test
    void logTailOfMissingOrEmptyFile() throws IOException {
        assertThat(LogTail.describe(tmp.resolve("nope.log"), 5)).contains("does not exist");
        Files.createFile(tmp.resolve("empty.log"));
        assertThat(LogTail.describe(tmp.resolve("empty.log"), 5)).contains("is empty");
    }

    @Test
    void freePortsAreDistinctAndBindable() throws IOException {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int port = FreePorts.pick();
            assertThat(port).isBetween(1024, 65535);
            assertThat(ports.add(port)).as("port %d handed out twice", port).isTrue();
        }
        int port = FreePorts.pick();
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        }
    }

    private Path fakeJdk(String name) throws IOException {
        Path java = tmp.resolve(name).resolve("bin").resolve("java");
        Files.createDirectories(java.getParent());
        Files.writeString(java, "#!/bin/sh\n");
        java.toFile().setExecutable(true);
        return tmp.resolve(name);
    }
}
