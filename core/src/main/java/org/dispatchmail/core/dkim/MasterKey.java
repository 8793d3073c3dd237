package org.dispatchmail.core.dkim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.dispatchmail.core.config.SecretFile;

/**
 * The key that encrypts DKIM private keys at rest (AES-256-GCM). Every node reads the same key file;
 * Cassandra only ever holds ciphertext. The key is never logged nor printed.
 */
public final class MasterKey {
    private static final int FORMAT_VERSION = 1;
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;

    private MasterKey(byte[] key) {
        this.key = new SecretKeySpec(key, "AES");
    }

    /**
     * Reads a key file holding 32 random bytes in base64 (e.g. made by "openssl rand -base64 32"),
     * readable by its owner only (else IllegalArgumentException saying which chmod to run).
     */
    public static MasterKey fromFile(Path file) {
        String text = SecretFile.read(file);
        byte[] key;
        try {
            key = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the key file " + file + " does not hold base64 text");
        }
        if (key.length != 32) {
            throw new IllegalArgumentException("the key file " + file + " holds " + key.length
                + " bytes; it needs 32 (make one with: openssl rand -base64 32)");
        }
        return new MasterKey(key);
    }

    /** Creates a key file (32 random bytes in base64) readable by its owner only; fails if the file exists. */
    public static void createFile(Path file) throws IOException {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        SecretFile.create(file, Base64.getEncoder().encodeToString(key) + "\n");
    }

    /**
     * @param associated bound to the ciphertext (the key's domain and selector), so a ciphertext
     *                   copied to another key's row does not decrypt
     */
    public byte[] encrypt(byte[] plaintext, String associated) {
        byte[] iv = new byte[IV_BYTES];
        RANDOM.nextBytes(iv);
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            cipher.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext);
            return ByteBuffer.allocate(1 + IV_BYTES + sealed.length).put((byte) FORMAT_VERSION).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }

    /** Throws IllegalArgumentException when the ciphertext was made with another master key or altered. */
    public byte[] decrypt(byte[] ciphertext, String associated) {
        if (ciphertext.length < 1 + IV_BYTES || ciphertext[0] != FORMAT_VERSION) {
            throw new IllegalArgumentException("not a Dispatch key ciphertext (format " + (ciphertext.length > 0 ? ciphertext[0] : -1) + ")");
        }
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, 1, IV_BYTES));
            cipher.updateAAD(associated.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(ciphertext, 1 + IV_BYTES, ciphertext.length - 1 - IV_BYTES);
        } catch (javax.crypto.AEADBadTagException e) {
            throw new IllegalArgumentException("the private key of " + associated
                + " does not decrypt with this master key (another dkim.masterKeyFile than the one it was made with?)");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available: " + e.getMessage(), e);
        }
    }
}
