package org.dispatchmail.core.secrets;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/** One version of a cluster secret: 32 random bytes. Its toString never shows the bytes. */
public final class Secret {
    public static final int LENGTH = 32;

    private final String name;
    private final int version;
    private final byte[] key;
    private final Instant createdAt;

    public Secret(String name, int version, byte[] key, Instant createdAt) {
        if (version < 1) {
            throw new IllegalArgumentException("secret versions start at 1, not " + version);
        }
        if (key.length != LENGTH) {
            throw new IllegalArgumentException("a secret has " + LENGTH + " bytes, not " + key.length);
        }
        this.name = Objects.requireNonNull(name);
        this.version = version;
        this.key = key.clone();
        this.createdAt = Objects.requireNonNull(createdAt);
    }

    public String name() {
        return name;
    }

    public int version() {
        return version;
    }

    public byte[] key() {
        return key.clone();
    }

    public Instant createdAt() {
        return createdAt;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Secret && ((Secret) other).name.equals(name) && ((Secret) other).version == version
            && Arrays.equals(((Secret) other).key, key);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, version);
    }

    @Override
    public String toString() {
        return "Secret[" + name + " v" + version + ", created " + createdAt + "]";
    }
}
