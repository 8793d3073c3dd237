package org.dispatchmail.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;

/**
 * A file that holds a secret (a key, a password): readable by its owner only, as ssh demands of
 * private keys. A secret any local account can read is refused rather than used.
 */
public final class SecretFile {
    private static final Set<PosixFilePermission> OTHERS_THAN_OWNER = EnumSet.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private SecretFile() {
    }

    /** Throws IllegalArgumentException naming the file and the fix when group or others may use it. */
    public static void requireOwnerOnly(Path file) {
        Set<PosixFilePermission> permissions;
        try {
            permissions = Files.getPosixFilePermissions(file);
        } catch (UnsupportedOperationException e) {
            return; // not a POSIX file system: nothing to check
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
        open.addAll(permissions);
        open.retainAll(OTHERS_THAN_OWNER);
        if (!open.isEmpty()) {
            throw new IllegalArgumentException(file + " holds a secret but its permissions are "
                + PosixFilePermissions.toString(permissions) + " (group or others may read it): run chmod 600 " + file);
        }
    }

    /** The file's text, trimmed, once its permissions are checked. */
    public static String read(Path file) {
        requireOwnerOnly(file);
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Creates the file readable by its owner only from the first byte on; fails if it exists. */
    public static void create(Path file, String content) throws IOException {
        Path created;
        try {
            created = Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            created = Files.createFile(file);
        }
        Files.write(created, content.getBytes(StandardCharsets.UTF_8));
    }
}
