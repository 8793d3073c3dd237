package org.dispatchmail.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's postgrey as a Postfix policy service on a loopback address: greylists every new
 * (client address, sender, recipient) triplet for a given delay. Keyed on the exact client address
 * (--lookup-by-host), so two 127.0.0.x clients are two clients; no auto-whitelisting; its own
 * database folder. It runs in the foreground, so its decisions land in its log, which
 * {@link #decisions()} reads.
 */
public final class PostgreyPeer implements AutoCloseable {
    private static final String POSTGREY = "/usr/sbin/postgrey";

    private final Process process;
    private final Path dir;
    private final String address;
    private final int port;

    private PostgreyPeer(Process process, Path dir, String address, int port) {
        this.process = process;
        this.dir = dir;
        this.address = address;
        this.port = port;
    }

    public static PostgreyPeer start(String address, int port, Duration delay) throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(POSTGREY))) {
            throw new IllegalStateException(POSTGREY + " is missing: install Debian's postgrey package (.ci/run does)");
        }
        Path dir = Files.createTempDirectory("postgrey-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path db = dir.resolve("db");
        Files.createDirectories(db);
        // postgrey drops root for its own user, which keeps its database here
        UserPrincipalLookupService users = db.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(db, users.lookupPrincipalByName("postgrey"));
        Path log = dir.resolve("postgrey.log");
        Process process = new ProcessBuilder(POSTGREY, "--inet=" + address + ":" + port,
            "--delay=" + delay.toSeconds(), "--auto-whitelist-clients=0", "--lookup-by-host",
            "--dbdir=" + db, "--whitelist-clients=/dev/null", "--whitelist-recipients=/dev/null")
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PostgreyPeer peer = new PostgreyPeer(process, dir, address, port);
        PortWait.until(address, port, Duration.ofSeconds(20), process,
            () -> "postgrey did not start on " + address + ":" + port + ":\n" + peer.logText());
        return peer;
    }

    /** "inet:address:port", as Postfix's check_policy_service takes it. */
    public String policyService() {
        return "inet:" + address + ":" + port;
    }

    public String logText() {
        try {
            return Files.readString(dir.resolve("postgrey.log"));
        } catch (IOException e) {
            return "(postgrey log unreadable: " + e + ")";
        }
    }

    /**
     * Every decision so far, oldest first, as postgrey logged it: keys action (greylist, pass),
     * reason (new, early-retry, triplet found...), delay (on a pass), client_address, sender, recipient.
     */
    public List<Map<String, String>> decisions() {
        List<Map<String, String>> decisions = new ArrayList<>();
        for (String line : logText().split("\n")) {
            if (!line.startsWith("action=")) {
                continue;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (String part : line.split(", ")) {
                int equals = part.indexOf('=');
                if (equals > 0) {
                    fields.put(part.substring(0, equals), part.substring(equals + 1));
                }
            }
            decisions.add(fields);
        }
        return decisions;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
