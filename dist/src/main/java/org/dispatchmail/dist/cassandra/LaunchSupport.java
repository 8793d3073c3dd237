package org.dispatchmail.dist.cassandra;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Pure helpers of {@link EmbeddedCassandra}: templates, the command line, the Java runtime, the jars. */
final class LaunchSupport {
    static final String MAIN_CLASS = "org.apache.cassandra.service.CassandraDaemon";
    /** Ring delay of the forked node: nothing to wait for on a self-seeded single node. */
    static final int RING_DELAY_MS = 1000;
    static final Path DEFAULT_JAVA_HOME = Paths.get("/usr/lib/jvm/java-17-openjdk-amd64");
    /**
     * Marks the forked JVM's command line as "the Cassandra of this baseDir", so the watchdog and a later start can
     * tell our process from an unrelated one that reused its pid.
     */
    static final String INSTANCE_PROPERTY = "dispatch.cassandra.base";

    private LaunchSupport() {
    }

    static String renderYaml(EmbeddedCassandra.Settings settings) {
        String yaml = resource("cassandra.yaml")
                .replace("{{CLUSTER_NAME}}", settings.clusterName().replace("'", "''"))
                .replace("{{ADDRESS}}", settings.address())
                .replace("{{STORAGE_PORT}}", Integer.toString(settings.storagePort()))
                .replace("{{NATIVE_PORT}}", Integer.toString(settings.nativePort()))
                .replace("{{SEEDS}}", settings.seeds())
                .replace("{{INITIAL_TOKEN}}", settings.initialToken());
        if (yaml.contains("{{")) {
            throw new IllegalStateException("unfilled placeholder in cassandra.yaml template: " + yaml);
        }
        return yaml;
    }

    static String logbackXml() {
        return resource("logback.xml");
    }

    /** The static flags of jvm.flags, one argument per non-comment line. */
    static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>();
        for (String line : resource("jvm.flags").split("\n")) {
            String flag = line.strip();
            if (!flag.isEmpty() && !flag.startsWith("#")) {
                flags.add(flag);
            }
        }
        return Collections.unmodifiableList(flags);
    }

    static String instanceMarker(Path baseDir) {
        return "-D" + INSTANCE_PROPERTY + "=" + baseDir;
    }

    /** The complete command line of the forked Cassandra JVM. {@code baseDir} and {@code libDir} are absolute. */
    static List<String> command(EmbeddedCassandra.Settings settings, Path javaExecutable, Path jammJar) {
        Path base = settings.baseDir();
        Path logs = base.resolve("logs");
        List<String> command = new ArrayList<>();
        command.add(javaExecutable.toString());
        command.addAll(jvmFlags());
        command.add("-Xms" + settings.heap());
        command.add("-Xmx" + settings.heap());
        command.add("-XX:HeapDumpPath=" + logs);
        // jamm measures object sizes for memtables; Cassandra's own scripts load it as an agent the same way
        command.add("-javaagent:" + jammJar);
        command.add("-Dcassandra.config=" + base.resolve("cassandra.yaml").toUri());
        command.add("-Dcassandra.storagedir=" + base.resolve("data"));
        command.add("-Dcassandra.logdir=" + logs);
        command.add("-Dlogback.configurationFile=" + base.resolve("logback.xml"));
        command.add("-Dcassandra-foreground=yes");
        command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
        command.add("-Dcassandra.superuser_setup_delay_ms=0");
        command.add("-Dcassandra.ring_delay_ms=" + RING_DELAY_MS);
        // no -Dcassandra.jmx.local.port / jmx.remote.port: Cassandra then opens no JMX port ("JMX is not enabled")
        command.add(instanceMarker(base));
        command.add("-cp");
        command.add(settings.libDir() + "/*");
        command.add(MAIN_CLASS);
        return command;
    }

    /** The one jar of libDir whose name is {@code prefix + version + ".jar"}, or null. */
    static Path findJar(Path libDir, String prefix) {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(libDir, prefix + "[0-9]*.jar")) {
            for (Path jar : jars) {
                return jar;
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static final Pattern JAR = Pattern.compile("(.+?)-(\\d+(?:\\.\\d+)*(?:\\.(?:Final|RELEASE))?)(?:-[A-Za-z].*)?\\.jar");

    /**
     * Jar families that must all have one version, or Cassandra dies at startup with a NoClassDefFoundError (seen:
     * logback-classic 1.4.5 with logback-core 1.5.18, netty 4.1.86 mixed with 4.1.130, when a BOM or
     * dependencyManagement of the build overrides some of cassandra-all's dependencies). Returns a description of
     * the mix, or null if every family is consistent.
     */
    static String mixedVersions(Path libDir) {
        Map<String, Map<String, String>> families = new TreeMap<>(); // family -> version -> one jar of it
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(libDir, "*.jar")) {
            for (Path jar : jars) {
                Matcher m = JAR.matcher(jar.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                String artifact = m.group(1);
                String family = null;
                if (artifact.equals("logback-core") || artifact.equals("logback-classic")) {
                    family = "logback";
                } else if (artifact.startsWith("netty-") && !artifact.startsWith("netty-tcnative")) {
                    family = "netty";
                }
                if (family != null) {
                    families.computeIfAbsent(family, f -> new TreeMap<>()).putIfAbsent(m.group(2), artifact);
                }
            }
        } catch (IOException e) {
            return null;
        }
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Map<String, String>> family : families.entrySet()) {
            if (family.getValue().size() > 1) {
                List<String> versions = new ArrayList<>();
                family.getValue().forEach((version, artifact) -> versions.add(artifact + " " + version));
                problems.add(family.getKey() + " (" + String.join(" vs ", versions) + ")");
            }
        }
        return problems.isEmpty() ? null : String.join(", ", problems);
    }

    /**
     * The Java home for Cassandra 5.0, which runs on Java 11 or 17 only (it installs a SecurityManager, removed in
     * Java 24). In order: the explicit setting, the system property {@code cassandra.java.home}, the environment
     * variable {@code CASSANDRA_JAVA_HOME}, the current JVM if it is Java 11 or 17, {@code fallback}. The first one
     * that is set is used; if it has no {@code bin/java}, the message lists everything that was tried.
     */
    static Path resolveJavaHome(Path explicit, String systemProperty, String environment, int currentFeature,
                                Path currentHome, Path fallback) throws CassandraStartException {
        List<String> tried = new ArrayList<>();
        if (explicit != null) {
            return checked(explicit, "Settings.javaHome", tried);
        }
        tried.add("Settings.javaHome: not set");
        if (systemProperty != null && !systemProperty.isBlank()) {
            return checked(Paths.get(systemProperty.strip()), "system property cassandra.java.home", tried);
        }
        tried.add("system property cassandra.java.home: not set");
        if (environment != null && !environment.isBlank()) {
            return checked(Paths.get(environment.strip()), "environment variable CASSANDRA_JAVA_HOME", tried);
        }
        tried.add("environment variable CASSANDRA_JAVA_HOME: not set");
        if (currentFeature == 11 || currentFeature == 17) {
            return checked(currentHome, "the current JVM (Java " + currentFeature + ")", tried);
        }
        tried.add("the current JVM " + currentHome + ": Java " + currentFeature + ", but Cassandra 5.0 needs 11 or 17");
        return checked(fallback, "the default", tried);
    }

    static Path javaExecutable(Path javaHome) {
        return javaHome.resolve("bin").resolve("java");
    }

    private static Path checked(Path home, String source, List<String> tried) throws CassandraStartException {
        Path java = javaExecutable(home);
        if (Files.isExecutable(java) && !Files.isDirectory(java)) {
            return home;
        }
        tried.add(source + " " + home + ": " + java + " is not an executable file");
        throw new CassandraStartException("No Java 11 or 17 runtime to run Cassandra with. Tried, in order:\n  - "
                + String.join("\n  - ", tried)
                + "\nSet Settings.javaHome, -Dcassandra.java.home or CASSANDRA_JAVA_HOME to a Java 17 home.");
    }

    private static String resource(String name) {
        try (InputStream in = LaunchSupport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing next to " + LaunchSupport.class.getName()
                        + " (is the dist jar complete?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + name, e);
        }
    }
}
