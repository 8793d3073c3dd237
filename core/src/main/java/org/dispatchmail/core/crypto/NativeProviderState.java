package org.dispatchmail.core.crypto;

import java.security.Provider;
import java.util.Objects;
import java.util.Optional;

/** What loading the native provider found: healthy (with the provider), missing from the class path, or broken. */
public final class NativeProviderState {

    /** The three ways a load can end. */
    public enum Kind {
        HEALTHY,
        /** The provider's classes are not on the class path (its jar is not deployed). */
        MISSING,
        /** The classes loaded, but the native library did not, or the self-tests failed. */
        BROKEN
    }

    private final Kind kind;
    private final Optional<Provider> provider;
    private final String detail;

    private NativeProviderState(Kind kind, Optional<Provider> provider, String detail) {
        this.kind = kind;
        this.provider = provider;
        this.detail = detail;
    }

    public static NativeProviderState healthy(Provider provider) {
        return new NativeProviderState(Kind.HEALTHY, Optional.of(provider),
            provider.getName() + " " + provider.getVersionStr());
    }

    public static NativeProviderState missing(String detail) {
        return new NativeProviderState(Kind.MISSING, Optional.empty(), Objects.requireNonNull(detail, "detail"));
    }

    public static NativeProviderState broken(String detail) {
        return new NativeProviderState(Kind.BROKEN, Optional.empty(), Objects.requireNonNull(detail, "detail"));
    }

    public Kind kind() {
        return kind;
    }

    /** The provider to register, present only when healthy. */
    public Optional<Provider> provider() {
        return provider;
    }

    /** The provider's name and version when healthy, else what went wrong. */
    public String detail() {
        return detail;
    }
}
