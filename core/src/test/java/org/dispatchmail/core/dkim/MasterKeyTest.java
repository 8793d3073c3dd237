package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MasterKeyTest {
    @TempDir
    Path dir;

    private MasterKey newKey() throws Exception {
        Path file = dir.resolve("master-" + System.nanoTime() + ".key");
        MasterKey.createFile(file);
        return MasterKey.fromFile(file);
    }

    @Test
    void encryptsSoThatOnlyTheSameKeyAndIdentityDecrypt() throws Exception {
        MasterKey key = newKey();
        byte[] secret = "private key bytes".getBytes(StandardCharsets.UTF_8);
        byte[] sealed = key.encrypt(secret, "dkim:example.com:s1");

        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("private key bytes");
        assertThat(key.decrypt(sealed, "dkim:example.com:s1")).isEqualTo(secret);
        assertThat(key.encrypt(secret, "dkim:example.com:s1")).as("a fresh IV each time").isNotEqualTo(sealed);
        assertThatThrownBy(() -> key.decrypt(sealed, "dkim:example.com:s2"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not decrypt with this master key");
        assertThatThrownBy(() -> newKey().decrypt(sealed, "dkim:example.com:s1"))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBadKeyFileIsNamed() throws Exception {
        Path shortKey = dir.resolve("short.key");
        Files.writeString(shortKey, "c2hvcnQ=\n");
        Files.setPosixFilePermissions(shortKey, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> MasterKey.fromFile(shortKey))
            .hasMessage("the key file " + shortKey + " holds 5 bytes; it needs 32 (make one with: openssl rand -base64 32)");
        assertThatThrownBy(() -> MasterKey.fromFile(dir.resolve("absent.key")))
            .hasMessageStartingWith("cannot read " + dir.resolve("absent.key"));
    }
}
