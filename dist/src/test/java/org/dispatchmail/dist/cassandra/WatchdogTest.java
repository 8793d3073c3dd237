package org.dispatchmail.dist.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The watchdog kills the child when the JVM that started both is SIGKILLed, and only if the pid still is that child.
 * A helper JVM plays the owner; a looping {@code sh -c} carrying the marker argument plays Cassandra.
 */
@EnabledOnOs(OS.LINUX)
class WatchdogTest {
    private final List<Long> leftovers = new ArrayList<>();

    /** The owner JVM: starts the fake child and its watchdog, prints "childPid watchdogPid", then waits forever. */
    public static final class Owner {
        public static void main(String[] args) throws Exception {
            String childMarker = args[0];
            String watchedMarker = args[1];
            Process child = fakeChild(childMarker);
            Watchdog watchdog = Watchdog.watch(child.pid(), watchedMarker);
            System.out.println(child.pid() + " " + watchdog.pid());
            System.out.flush();
            Thread.sleep(300_000);
        }
    }

    @AfterEach
    void killLeftovers() {
        for (long pid : leftovers) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void childDiesWhenItsOwnerIsKilled() throws Exception {
        long[] pids = runOwnerAndKillIt("-Ddispatch.cassandra.base=/tmp/x", "-Ddispatch.cassandra.base=/tmp/x");
        assertThat(awaitGone(pids[0], 5_000)).as("child %d killed by the watchdog", pids[0]).isTrue();
        assertThat(awaitGone(pids[1], 5_000)).as("watchdog %d exited", pids[1]).isTrue();
    }

    @Test
    void aPidWithoutTheMarkerIsNeverKilled() throws Exception {
        long[] pids = runOwnerAndKillIt("-Ddispatch.cassandra.base=/tmp/other", "-Ddispatch.cassandra.base=/tmp/x");
        assertThat(awaitGone(pids[1], 5_000)).as("watchdog %d exited", pids[1]).isTrue();
        assertThat(isGone(pids[0])).as("unrelated process %d left alone", pids[0]).isFalse();
    }

    @Test
    void stoppingTheWatchdogLeavesTheChildAlone() throws Exception {
        Process child = fakeChild("-Dmarker");
        leftovers.add(child.pid());
        Watchdog watchdog = Watchdog.watch(child.pid(), "-Dmarker");
        assertThat(watchdog).isNotNull();
        watchdog.stop();
        Thread.sleep(300);
        assertThat(child.isAlive()).isTrue();
        child.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }

    private long[] runOwnerAndKillIt(String childMarker, String watchedMarker) throws Exception {
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = codeSource(WatchdogTest.class) + File.pathSeparator + codeSource(Watchdog.class);
        Process owner = new ProcessBuilder(java, "-Xmx32m", "-cp", classpath, Owner.class.getName(), childMarker,
                watchedMarker).redirectErrorStream(true).start();
        long[] pids;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("owner output").matches("\\d+ \\d+");
            String[] parts = line.split(" ");
            pids = new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])};
            leftovers.add(pids[0]);
            leftovers.add(pids[1]);
            assertThat(isGone(pids[0])).isFalse();
            owner.destroyForcibly(); // SIGKILL: no shutdown hook runs in the owner
            assertThat(owner.waitFor(5, TimeUnit.SECONDS)).isTrue();
        }
        return pids;
    }

    static Process fakeChild(String marker) throws IOException {
        // a loop keeps sh itself running (no exec), so the marker stays on its command line as $0; once sh is
        // killed, the last "sleep 1" ends on its own
        return new ProcessBuilder("/bin/sh", "-c", "while :; do sleep 1; done", marker)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static String codeSource(Class<?> type) throws URISyntaxException {
        return Paths.get(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    private static boolean awaitGone(long pid, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < deadline) {
            if (isGone(pid)) {
                return true;
            }
            Thread.sleep(50);
        }
        return isGone(pid);
    }

    /** Not running: no such pid, or a zombie nobody has reaped yet (its parent was the killed owner). */
    static boolean isGone(long pid) {
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
            } catch (IOException e) {
                return true;
            }
        }
        return true;
    }
}
