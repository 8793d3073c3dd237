package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
    @TempDir
    Path dir;

    @Test
    void aKeyFileOthersMayReadStopsWithTheChmodToRun() throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, "token\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> SecretFiles.read(file))
            .isInstanceOf(LaunchException.class)
            .hasMessage(file + " holds a secret but its permissions are rw-r--r-- (group or others may read it):"
                + " run chmod 600 " + file);
    }

    @Test
    void aKeyFileOnlyItsOwnerMayReadIsAccepted() throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, "token\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(SecretFiles.read(file)).isEqualTo("token");
    }

    @Test
    void writeLeavesAnOwnerOnlyFileAndNoTemporaryOne() throws Exception {
        Path file = dir.resolve("keys/jwt-private.pem");
        SecretFiles.write(file, "first\n");
        SecretFiles.write(file, "second\n");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(Files.readString(file)).isEqualTo("second\n");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void theStateFolderIsMadeOrTightenedTo0700() throws Exception {
        Path made = dir.resolve("a/state");
        SecretFiles.privateDirectory(made);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(made))).isEqualTo("rwx------");

        Path existing = Files.createDirectory(dir.resolve("old-state"));
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rwxr-xr-x"));
        SecretFiles.privateDirectory(existing);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(existing))).isEqualTo("rwx------");
    }

    @Test
    void theDkimMasterKeyIsMadeOnceOwnerOnlyAndRefusedWhenOpened() throws Exception {
        Path key = dir.resolve("state/dkim/master.key");
        DkimMasterKeyFile.ensure(key);
        String made = Files.readString(key);
        DkimMasterKeyFile.ensure(key);

        assertThat(Files.readString(key)).as("kept, never replaced").isEqualTo(made);
        assertThat(java.util.Base64.getDecoder().decode(made.trim())).hasSize(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> DkimMasterKeyFile.ensure(key)).hasMessageEndingWith("run chmod 600 " + key);
    }
}
