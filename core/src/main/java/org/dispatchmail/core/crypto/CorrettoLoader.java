package org.dispatchmail.core.crypto;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import com.amazon.corretto.crypto.provider.SelfTestStatus;

/**
 * Loads Amazon Corretto Crypto Provider. The only class that names it, so that when its jar is absent the failure
 * shows up where {@link CryptoProviders} calls in, as a LinkageError it reports.
 */
final class CorrettoLoader {

    private CorrettoLoader() {
    }

    static NativeProviderState load() {
        AmazonCorrettoCryptoProvider provider = AmazonCorrettoCryptoProvider.INSTANCE;
        Throwable loadingError = provider.getLoadingError();
        if (loadingError != null) {
            return NativeProviderState.broken(describe(loadingError));
        }
        SelfTestStatus selfTests = provider.runSelfTests();
        if (selfTests != SelfTestStatus.PASSED) {
            return NativeProviderState.broken("self-tests " + selfTests);
        }
        try {
            provider.assertHealthy();
        } catch (RuntimeException e) {
            return NativeProviderState.broken(describe(e));
        }
        return NativeProviderState.healthy(provider);
    }

    private static String describe(Throwable error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }
}
