package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.DispatchNode;
import org.dispatchmail.it.support.RawSmtpSession;
import org.junit.jupiter.api.Test;

/**
 * The README's run command as shipped: no Cassandra configured, so the launcher starts its
 * embedded one, James comes up on it, and a stop takes both down.
 */
class RunCommandIT {

    @Test
    void runStartsTheEmbeddedCassandraAndJamesAndStopStopsBoth() throws Exception {
        DispatchNode node = DispatchNode.start(Map.of(
            "cassandra.contactPoints", "",
            "embedded.cassandra.nativePort", String.valueOf(FreePorts.pick()),
            "embedded.cassandra.storagePort", String.valueOf(FreePorts.pick()),
            "embedded.cassandra.heap", "512M"));
        long cassandraPid;
        try {
            assertThat(node.output()).contains("Cassandra   embedded, 127.0.0.1:").contains("Dispatch is running.");
            Path pidFile = node.stateDir().resolve("cassandra/cassandra.pid");
            cassandraPid = Long.parseLong(Files.readString(pidFile).trim());
            assertThat(ProcessHandle.of(cassandraPid).map(ProcessHandle::isAlive)).contains(true);
            try (RawSmtpSession session = RawSmtpSession.open(node.port(2525), false)) {
                assertThat(session.greeting().get(0)).startsWith("220 ");
                assertThat(session.send("EHLO probe.test")).anyMatch(line -> line.contains("STARTTLS"));
            }
            assertThat(Files.readString(node.jamesLog())).contains("Dispatch delivery worker");
        } finally {
            // SIGTERM, as a service manager sends: the JVM reports it as 143 once its shutdown hook ran
            assertThat(node.stop()).as(node.output()).isIn(0, 143);
        }
        assertThat(node.output()).contains("Stopping the embedded Cassandra").contains("Dispatch stopped.");
        Optional<ProcessHandle> cassandra = ProcessHandle.of(cassandraPid);
        assertThat(cassandra.map(ProcessHandle::isAlive).orElse(false)).as("Cassandra stopped").isFalse();
    }
}
