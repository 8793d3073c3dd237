package org.dispatchmail.dist;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.dispatchmail.dist.cassandra.Watchdog;

/** The James memory server, run as a child process the way its official image runs it. */
final class JamesProcess {
    /** The first line of a logged stack trace ("javax.mail.MessagingException: ..."), which says what failed. */
    private static final Pattern EXCEPTION_HEADING = Pattern.compile("[a-z][\\w$]*(\\.[\\w$]+)+(Exception|Error)\\b");

    private final Process process;
    private final Path logDir;
    private final Watchdog watchdog;

    private JamesProcess(Process process, Path logDir, Watchdog watchdog) {
        this.process = process;
        this.logDir = logDir;
        this.watchdog = watchdog;
    }

    /**
     * @param libDir    James's jars
     * @param workDir   James's working directory: conf/, extensions-jars/, var/
     * @param javaOpts  extra JVM options (JAVA_OPTS), e.g. -Xmx2g
     */
    static JamesProcess start(Path libDir, Path workDir, Path logDir, List<String> javaOpts) throws LaunchException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(javaOpts);
        String marker = "-Dworking.directory=" + workDir;
        command.add(marker);
        command.add("-Dlogback.configurationFile=" + workDir.resolve("conf/logback.xml"));
        command.add("-Ddispatch.logdir=" + logDir);
        command.add("-Djames.exit.on.startup.error=true");
        command.add("-cp");
        command.add(libDir + File.separator + "*");
        command.add("org.apache.james.MemoryJamesServerMain");
        try {
            Files.createDirectories(logDir);
            Process process = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logDir.resolve("james.out").toFile()))
                .start();
            // If the launcher is killed outright (no shutdown hook), James must not run on alone.
            return new JamesProcess(process, logDir, Watchdog.watch(process.pid(), marker));
        } catch (IOException e) {
            throw new LaunchException("cannot start James: " + e.getMessage());
        }
    }

    /** Waits until every listener accepts connections; fails early if James exits. */
    void awaitListening(List<Listener> listeners, Duration timeout) throws LaunchException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new LaunchException("James stopped during start-up (exit code " + process.exitValue() + ")."
                    + " Errors in " + logDir.resolve("james.log") + ":\n" + errors(logDir.resolve("james.log"))
                    + errors(logDir.resolve("james.out")));
            }
            if (listeners.stream().allMatch(Listener::accepts)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                stop(Duration.ofSeconds(30));
                throw new LaunchException("James did not open all its ports within " + timeout.toSeconds()
                    + " s; see " + logDir.resolve("james.log"));
            }
            sleep(200);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** SIGTERM, so James's own shutdown hook stops it cleanly; SIGKILL if it hangs. */
    void stop(Duration grace) {
        if (!process.isAlive()) {
            stopWatchdog();
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        stopWatchdog();
    }

    private void stopWatchdog() {
        if (watchdog != null) {
            watchdog.stop();
        }
    }

    /** The ERROR lines and exception causes of a log, without stack frames: what to fix, not a wall of trace. */
    static String errors(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
        List<String> wanted = new ArrayList<>();
        for (String line : lines) {
            if (line.contains("[ERROR]") || line.startsWith("Caused by:") || line.startsWith("Exception in thread")
                || EXCEPTION_HEADING.matcher(line).lookingAt()) {
                wanted.add(line);
            }
        }
        StringBuilder text = new StringBuilder();
        for (String line : wanted.subList(Math.max(0, wanted.size() - 12), wanted.size())) {
            text.append("  | ").append(line.length() > 400 ? line.substring(0, 400) + " ..." : line).append('\n');
        }
        return text.toString();
    }

    private static void sleep(long millis) throws LaunchException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LaunchException("interrupted");
        }
    }
}
