package org.dispatchmail.dist.cassandra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;

/**
 * Kills a forked child (Cassandra, James) when the JVM that started it dies without cleaning up, e.g. on SIGKILL, when no
 * shutdown hook runs.
 *
 * <p>How: a tiny {@code /bin/sh} process whose stdin is a pipe from this JVM, which never writes to it. The shell
 * blocks reading it; the kernel closes the pipe when this JVM exits for any reason (normal exit, crash, SIGKILL), the
 * read then sees end-of-file and the shell does {@code kill -9} on Cassandra. No polling, no pid of the parent to
 * watch (so no parent-pid reuse or zombie issues). Java closes all inherited descriptors above 2 in the processes it
 * starts, so no other child keeps the pipe open. Before killing, the shell checks that the pid still carries this
 * instance's marker argument on its command line ({@code /proc/PID/cmdline}), so a reused pid is never killed.
 *
 * <p>On a normal {@code close()}/{@code kill()} the child is stopped first and the watchdog is then destroyed.
 * Where there is no {@code /bin/sh} (Windows, which Cassandra 5 does not support anyway) there is no watchdog.
 */
public final class Watchdog {
    static final String SCRIPT = ""
            + "while read -r _; do :; done\n"
            + "if [ -r /proc/self/cmdline ]; then\n"
            + "  tr '\\000' '\\n' < \"/proc/$1/cmdline\" 2>/dev/null | grep -qxF -e \"$2\" || exit 0\n"
            + "fi\n"
            + "kill -9 \"$1\" 2>/dev/null\n";
    private static final Path SHELL = Paths.get("/bin/sh");

    private final Process shell;

    private Watchdog(Process shell) {
        this.shell = shell;
    }

    /**
     * Starts a watchdog for the process {@code pid}, whose command line contains the argument {@code marker}; null if
     * no watchdog can run here (then only the shutdown hook protects against orphans).
     */
    public static Watchdog watch(long pid, String marker) {
        if (!Files.isExecutable(SHELL)) {
            return null;
        }
        ProcessBuilder builder = new ProcessBuilder(SHELL.toString(), "-c", SCRIPT, "dispatch-watchdog",
                Long.toString(pid), marker);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        builder.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.redirectError(ProcessBuilder.Redirect.DISCARD);
        try {
            return new Watchdog(builder.start());
        } catch (IOException e) {
            return null;
        }
    }

    /** Ends the watchdog without it touching the watched process. */
    public void stop() {
        shell.destroyForcibly();
        try {
            shell.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    long pid() {
        return shell.pid();
    }
}
