package org.dispatchmail.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFileTest {
    @TempDir
    Path dir;

    @Test
    void aFileOthersMayReadIsRefusedWithTheChmodToRun() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "s3cret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> SecretFile.read(file))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage(file + " holds a secret but its permissions are rw-r--r-- (group or others may read it):"
                + " run chmod 600 " + file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> SecretFile.read(file)).hasMessageEndingWith("run chmod 600 " + file);
    }

    @Test
    void aFileOnlyItsOwnerMayReadIsRead() throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "s3cret\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThat(SecretFile.read(file)).isEqualTo("s3cret");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--------"));
        assertThat(SecretFile.read(file)).isEqualTo("s3cret");
    }

    @Test
    void createMakesAnOwnerOnlyFileAndNeverOverwrites() throws Exception {
        Path file = dir.resolve("made");
        SecretFile.create(file, "key\n");

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(SecretFile.read(file)).isEqualTo("key");
        assertThatThrownBy(() -> SecretFile.create(file, "other\n")).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(SecretFile.read(file)).isEqualTo("key");
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> SecretFile.read(dir.resolve("absent")))
            .hasMessageStartingWith("cannot read " + dir.resolve("absent"));
    }
}
