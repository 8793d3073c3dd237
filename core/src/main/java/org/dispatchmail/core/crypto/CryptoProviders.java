package org.dispatchmail.core.crypto;

import java.security.Provider;
import java.security.Security;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the native provider first in this JVM's provider list when {@link ProviderDecision} says so, and logs the
 * decision's one line. JCA looks providers up in order, so every later Signature, Cipher, MessageDigest and Mac
 * lookup that the native provider serves (DKIM's RSA, TLS's AES-GCM and SHA-256) goes to it; what it does not serve
 * (Ed25519, which Dispatch signs with BouncyCastle anyway, X25519, PBKDF2) stays with the JDK.
 */
public final class CryptoProviders {
    private static final Logger LOGGER = LoggerFactory.getLogger(CryptoProviders.class);

    private CryptoProviders() {
    }

    /** Registers the provider the setting and this JVM allow; returns what was decided. Safe to call twice. */
    public static ProviderDecision register(CryptoProvider setting) {
        ProviderDecision decision = ProviderDecision.decide(setting, System.getProperty("os.name", "unknown"),
            System.getProperty("os.arch", "unknown"), CryptoProviders::loadNative);
        decision.register().ifPresent(CryptoProviders::putFirst);
        if (decision.fellBack()) {
            LOGGER.warn("Dispatch: {}", decision.logLine());
        } else {
            LOGGER.info("Dispatch: {}", decision.logLine());
        }
        return decision;
    }

    private static NativeProviderState loadNative() {
        try {
            return CorrettoLoader.load();
        } catch (LinkageError e) {
            // NoClassDefFoundError without the jar; UnsatisfiedLinkError and the like from a broken native part
            return e instanceof NoClassDefFoundError
                ? NativeProviderState.missing(e.getMessage())
                : NativeProviderState.broken(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private static synchronized void putFirst(Provider provider) {
        Provider[] installed = Security.getProviders();
        if (installed.length > 0 && installed[0].getName().equals(provider.getName())) {
            return;
        }
        Security.removeProvider(provider.getName());
        Security.insertProviderAt(provider, 1);
    }
}
