package org.dispatchmail.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;
import org.dispatchmail.it.support.CassandraExtension;
import org.dispatchmail.it.support.DispatchNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** A bad start-up ends with one clear message that names what to fix, and no process left behind. */
@ExtendWith(CassandraExtension.class)
class StartupErrorsIT {

    private static String runUntilExit(Map<String, String> properties, Duration limit) throws Exception {
        Path dir = Files.createTempDirectory("dispatch-bad-start-");
        Path conf = DispatchNode.prepareConf(dir, properties, new LinkedHashMap<>(), FreePorts.pick());
        Process launcher = DispatchNode.launcher("run", "--conf", conf.toString(), "--state",
            dir.resolve("state").toString()).redirectErrorStream(true).start();
        assertThat(launcher.waitFor(limit.toSeconds(), TimeUnit.SECONDS))
            .as("the launcher gives up within %s", limit).isTrue();
        String output = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launcher.exitValue()).as(output).isNotZero();
        return output;
    }

    @Test
    void anInvalidParameterStopsStartUpNamingTheFileAndTheParameter(EmbeddedCassandra cassandra) throws Exception {
        String output = runUntilExit(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "queue.shards", "many"), Duration.ofMinutes(3));
        assertThat(output).contains("dispatch.properties: queue.shards 'many' is not a whole number");
    }

    @Test
    void aParameterGivenTwiceIsNamedWithBothLines() throws Exception {
        Path dir = Files.createTempDirectory("dispatch-twice-");
        Path conf = DispatchNode.prepareConf(dir, new LinkedHashMap<>(), new LinkedHashMap<>(), FreePorts.pick());
        Path properties = conf.resolve("dispatch.properties");
        // the shipped file sets it already: a second line, as an admin appending an override would write
        Files.writeString(properties, "\nsubmission.maxMessagesPerHour=0\n", StandardOpenOption.APPEND);
        List<String> lines = Files.readAllLines(properties);
        List<Integer> numbers = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("submission.maxMessagesPerHour")) {
                numbers.add(i + 1);
            }
        }
        assertThat(numbers).hasSize(2);
        Process launcher = DispatchNode.launcher("run", "--conf", conf.toString(), "--state",
            dir.resolve("state").toString()).redirectErrorStream(true).start();
        assertThat(launcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launcher.exitValue()).as(output).isEqualTo(2);
        assertThat(output).contains("dispatch.properties: submission.maxMessagesPerHour is given twice, on lines "
            + numbers.get(0) + " and " + numbers.get(1));
    }

    @Test
    void aDkimMasterKeyOthersMayReadStopsStartUpWithTheChmodToRun(EmbeddedCassandra cassandra) throws Exception {
        Path key = Files.createTempDirectory("dispatch-open-key-").resolve("master.key");
        Files.writeString(key, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        String output = runUntilExit(Map.of(
            "cassandra.contactPoints", cassandra.contactPoint(),
            "dkim.masterKeyFile", key.toString()), Duration.ofMinutes(3));
        assertThat(output).contains("dispatch.properties: dkim.masterKeyFile: " + key + " holds a secret")
            .contains("run chmod 600 " + key);
    }

    @Test
    void anUnreachableCassandraStopsStartUpAfterTheConfiguredWait() throws Exception {
        int closedPort = FreePorts.pick();
        String output = runUntilExit(Map.of(
            "cassandra.contactPoints", "127.0.0.1:" + closedPort,
            "cassandra.startupTimeout", "3s"), Duration.ofMinutes(3));
        assertThat(output).contains("Cannot reach Cassandra at").contains(String.valueOf(closedPort))
            .contains("cassandra.startupTimeout");
    }

    @Test
    void aMissingConfigurationFileIsNamed() throws Exception {
        Path dir = Files.createTempDirectory("dispatch-no-conf-");
        Process launcher = DispatchNode.launcher("run", "--conf", dir.resolve("nowhere").toString(), "--state",
            dir.resolve("state").toString()).redirectErrorStream(true).start();
        assertThat(launcher.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(launcher.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(launcher.exitValue()).isEqualTo(2);
        assertThat(output).contains("has no dispatch.properties");
    }
}
