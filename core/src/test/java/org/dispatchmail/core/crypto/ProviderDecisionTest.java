package org.dispatchmail.core.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.Provider;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

class ProviderDecisionTest {

    /** A stand-in with the native provider's name; the decision only passes it on. */
    private static final Provider NATIVE = new Provider("AmazonCorrettoCryptoProvider", "2.4.1", "test stand-in") {
    };

    private final AtomicInteger loads = new AtomicInteger();

    private Supplier<NativeProviderState> loading(NativeProviderState state) {
        return () -> {
            loads.incrementAndGet();
            return state;
        };
    }

    @Test
    void aHealthyNativeProviderGoesFirst() {
        ProviderDecision decision = ProviderDecision.decide(CryptoProvider.NATIVE, "Linux", "amd64",
            loading(NativeProviderState.healthy(NATIVE)));

        assertThat(decision.register()).containsSame(NATIVE);
        assertThat(decision.fellBack()).isFalse();
        assertThat(decision.logLine()).isEqualTo("crypto.provider = native: RSA signing and TLS primitives use"
            + " AmazonCorrettoCryptoProvider 2.4.1, ahead of the JDK's providers");
    }

    @Test
    void withoutTheJarTheJdkProvidersStayAndTheLineSaysSo() {
        ProviderDecision decision = ProviderDecision.decide(CryptoProvider.NATIVE, "Linux", "x86_64",
            loading(NativeProviderState.missing("com/amazon/corretto/crypto/provider/AmazonCorrettoCryptoProvider")));

        assertThat(decision.register()).isEmpty();
        assertThat(decision.fellBack()).isTrue();
        assertThat(decision.logLine()).isEqualTo("crypto.provider = native, but the native provider's jar is not on"
            + " the class path (com/amazon/corretto/crypto/provider/AmazonCorrettoCryptoProvider): RSA signing and"
            + " TLS use the JDK's providers");
    }

    @Test
    void anUnhealthyNativeProviderIsNotRegistered() {
        ProviderDecision decision = ProviderDecision.decide(CryptoProvider.NATIVE, "Linux", "amd64",
            loading(NativeProviderState.broken("UnsatisfiedLinkError: libamazonCorrettoCryptoProvider.so")));

        assertThat(decision.register()).isEmpty();
        assertThat(decision.fellBack()).isTrue();
        assertThat(decision.logLine()).isEqualTo("crypto.provider = native, but the native provider failed to load"
            + " or failed its self-tests (UnsatisfiedLinkError: libamazonCorrettoCryptoProvider.so): RSA signing and"
            + " TLS use the JDK's providers");
    }

    @Test
    void turnedOffTheNativeProviderIsNotEvenLoaded() {
        ProviderDecision decision = ProviderDecision.decide(CryptoProvider.JDK, "Linux", "amd64",
            loading(NativeProviderState.healthy(NATIVE)));

        assertThat(decision.register()).isEmpty();
        assertThat(decision.fellBack()).isFalse();
        assertThat(decision.logLine()).isEqualTo("crypto.provider = jdk: RSA signing and TLS use the JDK's providers");
        assertThat(loads).hasValue(0);
    }

    @Test
    void onAnotherPlatformTheNativeLibraryIsNotTried() {
        ProviderDecision decision = ProviderDecision.decide(CryptoProvider.NATIVE, "Mac OS X", "aarch64",
            loading(NativeProviderState.healthy(NATIVE)));

        assertThat(decision.register()).isEmpty();
        assertThat(decision.fellBack()).isTrue();
        assertThat(decision.logLine()).isEqualTo("crypto.provider = native, but the native provider is built for"
            + " linux-x86_64 and this JVM runs on Mac OS X aarch64: RSA signing and TLS use the JDK's providers");
        assertThat(loads).hasValue(0);
    }
}
