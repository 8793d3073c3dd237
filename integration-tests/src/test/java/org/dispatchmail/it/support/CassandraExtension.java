package org.dispatchmail.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.dispatchmail.dist.cassandra.CassandraStartException;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real Cassandra per test JVM, shared by every test class that uses this extension, started on first use and
 * stopped when JUnit closes its root context (end of the run). Random free ports, a temporary folder deleted at the
 * end, 1.5 GB heap (every test class adds a keyspace of its own, and each table holds heap), jars from the system
 * property {@code cassandra.lib} (cassandra-server/target/lib).
 *
 * <p>Use {@code @ExtendWith(CassandraExtension.class)} and take an {@link EmbeddedCassandra} parameter in a
 * constructor, a {@code @BeforeAll}/{@code @BeforeEach} method or a test. Its {@code contactPoint()} and
 * {@code localDatacenter()} are what the CQL driver needs.
 *
 * <p>If Cassandra cannot start, the failure is remembered: every later test class fails at once with the same
 * message instead of trying (and waiting) again.
 */
public final class CassandraExtension implements BeforeAllCallback, ParameterResolver {
    public static final String LIB_PROPERTY = "cassandra.lib";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(CassandraExtension.class);
    private static final String KEY = "cassandra";

    @Override
    public void beforeAll(ExtensionContext context) {
        cassandra(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == EmbeddedCassandra.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return cassandra(extensionContext);
    }

    /** The shared Cassandra of this test JVM, started if needed. */
    public static EmbeddedCassandra cassandra(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(KEY, key -> Shared.start(), Shared.class)
                .get();
    }

    /** The store's resource: the running server, or why it could not start. Closed by JUnit at the end of the run. */
    private static final class Shared implements ExtensionContext.Store.CloseableResource {
        private final EmbeddedCassandra cassandra;
        private final RuntimeException failure;

        private Shared(EmbeddedCassandra cassandra, RuntimeException failure) {
            this.cassandra = cassandra;
            this.failure = failure;
        }

        static Shared start() {
            try {
                return new Shared(launch(), null);
            } catch (RuntimeException e) {
                return new Shared(null, e);
            }
        }

        EmbeddedCassandra get() {
            if (failure != null) {
                throw failure;
            }
            return cassandra;
        }

        @Override
        public void close() {
            if (cassandra != null) {
                // the data is thrown away, so no graceful drain (about 7 s): kill, then close() deletes the folder
                cassandra.kill();
                cassandra.close();
            }
        }
    }

    private static EmbeddedCassandra launch() {
        String lib = System.getProperty(LIB_PROPERTY);
        if (lib == null || lib.isBlank()) {
            throw new ExtensionConfigurationException("System property " + LIB_PROPERTY + " is not set. It must name the "
                    + "folder with cassandra-all and its jars, cassandra-server/target/lib. Set it in the "
                    + "surefire/failsafe systemPropertyVariables of integration-tests, or in an IDE add -D" + LIB_PROPERTY + "=<checkout>/cassandra-server/target/lib "
                    + "(build it with: mvn -pl cassandra-server generate-resources).");
        }
        Path baseDir;
        try {
            baseDir = Files.createTempDirectory("dispatch-cassandra-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder for Cassandra", e);
        }
        EmbeddedCassandra.Settings settings = EmbeddedCassandra.Settings.builder()
                .libDir(Paths.get(lib))
                .baseDir(baseDir)
                .nativePort(FreePorts.pick())
                .storagePort(FreePorts.pick())
                .heap("1536M")
                .deleteOnClose(true)
                .build();
        long t0 = System.nanoTime();
        EmbeddedCassandra cassandra;
        try {
            cassandra = EmbeddedCassandra.start(settings);
        } catch (CassandraStartException e) {
            if (!Files.isDirectory(baseDir.resolve("logs"))) {
                deleteQuietly(baseDir); // failed before forking: nothing to look at in there
            } // else kept: the message points at the logs in it
            throw new ExtensionConfigurationException(e.getMessage(), e);
        }
        System.out.printf("[cassandra] pid %d, cql %s, up in %d ms, log %s%n", cassandra.pid(), cassandra.contactPoint(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), cassandra.logFile());
        return cassandra;
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // a leftover empty temp folder is harmless
        }
    }
}
