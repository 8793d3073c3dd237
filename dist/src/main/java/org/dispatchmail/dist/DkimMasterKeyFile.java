package org.dispatchmail.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The key that encrypts DKIM private keys in Cassandra, made once by the launcher when
 * dispatch.properties names none (32 random bytes in base64, readable by its owner only).
 */
final class DkimMasterKeyFile {
    private DkimMasterKeyFile() {
    }

    static void ensure(Path file) throws LaunchException {
        if (Files.isRegularFile(file)) {
            return;
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, (Base64.getEncoder().encodeToString(key) + "\n").getBytes(StandardCharsets.US_ASCII));
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            throw new LaunchException("cannot write the DKIM master key " + file + ": " + e.getMessage());
        }
    }
}
