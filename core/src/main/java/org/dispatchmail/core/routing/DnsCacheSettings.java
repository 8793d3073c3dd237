package org.dispatchmail.core.routing;

import java.time.Duration;
import java.util.Objects;
import org.dispatchmail.core.config.ConfigReader;

/** How many DNS answers a node keeps, and for how long at most (dns.cacheSize, dns.maxCacheTtl). */
public final class DnsCacheSettings {

    public static final String SIZE_KEY = "dns.cacheSize";
    public static final String MAX_TTL_KEY = "dns.maxCacheTtl";
    public static final int DEFAULT_SIZE = 4096;
    public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);
    /** Above this, the cache would hold more memory than any node needs for its destinations. */
    static final int LARGEST_SIZE = 1_000_000;

    private final int size;
    private final Duration maxTtl;

    public DnsCacheSettings(int size, Duration maxTtl) {
        Objects.requireNonNull(maxTtl, "maxTtl");
        if (size < 0 || size > LARGEST_SIZE) {
            throw new IllegalArgumentException("DNS cache size must be 0 to " + LARGEST_SIZE + ": " + size);
        }
        if (maxTtl.isNegative()) {
            throw new IllegalArgumentException("DNS cache TTL must not be negative: " + maxTtl);
        }
        this.size = size;
        this.maxTtl = maxTtl;
    }

    public static DnsCacheSettings defaults() {
        return new DnsCacheSettings(DEFAULT_SIZE, DEFAULT_MAX_TTL);
    }

    /** Reads dns.cacheSize and dns.maxCacheTtl; a bad value fails naming its key. */
    public static DnsCacheSettings from(ConfigReader config) {
        int size = config.integer(SIZE_KEY, DEFAULT_SIZE, 0, LARGEST_SIZE);
        Duration maxTtl = config.duration(MAX_TTL_KEY, DEFAULT_MAX_TTL);
        return new DnsCacheSettings(size, maxTtl);
    }

    /** Answers kept at most, the least recently used going first; 0 keeps none. */
    public int size() {
        return size;
    }

    /** The longest an answer is kept, whatever its TTL; zero keeps none. */
    public Duration maxTtl() {
        return maxTtl;
    }

    @Override
    public String toString() {
        return "DnsCacheSettings{size=" + size + ", maxTtl=" + maxTtl + "}";
    }
}
