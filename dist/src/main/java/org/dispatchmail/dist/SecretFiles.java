package org.dispatchmail.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * The launcher's secret files (DKIM master key, JWT private key, admin token) and the state folder
 * that holds them: made readable by their owner only from the first byte on, and refused when group
 * or others may read them. (James's side applies the same rule with core's SecretFile; the launcher
 * jar runs on the JDK alone, so it has its own copy of these few lines.)
 */
final class SecretFiles {
    private static final Set<PosixFilePermission> OTHERS_THAN_OWNER = EnumSet.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFiles() {
    }

    /** Creates the folder (and its parents) 0700, or takes group's and others' rights away from an existing one. */
    static void privateDirectory(Path dir) throws LaunchException {
        try {
            if (Files.isDirectory(dir)) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(dir);
                if (permissions.removeAll(OTHERS_THAN_OWNER)) {
                    Files.setPosixFilePermissions(dir, permissions);
                }
            } else {
                if (dir.getParent() != null) {
                    Files.createDirectories(dir.getParent());
                }
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to restrict
        } catch (IOException e) {
            throw new LaunchException("cannot make the private folder " + dir + ": " + e.getMessage());
        }
    }

    /**
     * Writes the file through a 0600 temporary file beside it, then renames it into place: the
     * content is never readable by others, not even for an instant, and a crash leaves no half file.
     */
    static void write(Path file, String content) throws LaunchException {
        Path temporary = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            if (!Files.isDirectory(file.toAbsolutePath().getParent())) {
                privateDirectory(file.toAbsolutePath().getParent());
            }
            Files.deleteIfExists(temporary);
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(temporary, content.getBytes(StandardCharsets.UTF_8));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            throw new LaunchException("cannot write " + file + ": " + e.getMessage());
        }
    }

    /** Fails, naming the file and the chmod to run, when group or others may read or change it. */
    static void requireOwnerOnly(Path file) throws LaunchException {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return;
        } catch (IOException e) {
            throw new LaunchException("cannot read " + file + ": " + e.getMessage());
        }
        Set<PosixFilePermission> open = EnumSet.copyOf(OTHERS_THAN_OWNER);
        open.retainAll(permissions);
        if (!open.isEmpty()) {
            throw new LaunchException(file + " holds a secret but its permissions are "
                + PosixFilePermissions.toString(permissions) + " (group or others may read it): run chmod 600 " + file);
        }
    }

    /** The file's text, trimmed, once its permissions are checked. */
    static String read(Path file) throws LaunchException {
        requireOwnerOnly(file);
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new LaunchException("cannot read " + file + ": " + e.getMessage());
        }
    }
}
