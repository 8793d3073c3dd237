package org.dispatchmail.dist;

import java.nio.file.Files;
import java.nio.file.Path;
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
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            SecretFiles.write(file, Base64.getEncoder().encodeToString(key) + "\n");
        }
        SecretFiles.requireOwnerOnly(file);
    }
}
