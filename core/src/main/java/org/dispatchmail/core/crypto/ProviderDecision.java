package org.dispatchmail.core.crypto;

import java.security.Provider;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Whether the native provider goes first, and the one log line that says which provider signs and why. Pure: the
 * caller passes the platform and a way to load the provider, which is asked only when the setting and the platform
 * allow the native one (loading it unpacks and links a native library).
 */
public final class ProviderDecision {

    private final Optional<Provider> register;
    private final boolean fellBack;
    private final String logLine;

    private ProviderDecision(Optional<Provider> register, boolean fellBack, String logLine) {
        this.register = register;
        this.fellBack = fellBack;
        this.logLine = logLine;
    }

    /**
     * @param osName and {@code osArch} as the JVM reports them (os.name, os.arch)
     * @param load   loads the native provider and runs its self-tests
     */
    public static ProviderDecision decide(CryptoProvider setting, String osName, String osArch,
                                          Supplier<NativeProviderState> load) {
        if (setting == CryptoProvider.JDK) {
            return new ProviderDecision(Optional.empty(), false,
                "crypto.provider = jdk: RSA signing and TLS use the JDK's providers");
        }
        if (!isLinuxX8664(osName, osArch)) {
            return fallback("the native provider is built for linux-x86_64 and this JVM runs on " + osName + " "
                + osArch);
        }
        NativeProviderState state = load.get();
        switch (state.kind()) {
            case HEALTHY:
                return new ProviderDecision(state.provider(), false, "crypto.provider = native: RSA signing and TLS"
                    + " primitives use " + state.detail() + ", ahead of the JDK's providers");
            case MISSING:
                return fallback("the native provider's jar is not on the class path (" + state.detail() + ")");
            default:
                return fallback("the native provider failed to load or failed its self-tests (" + state.detail() + ")");
        }
    }

    private static ProviderDecision fallback(String why) {
        return new ProviderDecision(Optional.empty(), true,
            "crypto.provider = native, but " + why + ": RSA signing and TLS use the JDK's providers");
    }

    private static boolean isLinuxX8664(String osName, String osArch) {
        String arch = osArch.toLowerCase(Locale.ROOT);
        return osName.toLowerCase(Locale.ROOT).startsWith("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
    }

    /** The provider to put first, if any. */
    public Optional<Provider> register() {
        return register;
    }

    /** The native provider was asked for but cannot be used: worth a warning rather than an info line. */
    public boolean fellBack() {
        return fellBack;
    }

    public String logLine() {
        return logLine;
    }
}
