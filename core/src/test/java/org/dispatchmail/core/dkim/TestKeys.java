package org.dispatchmail.core.dkim;

/** Keys generated once per test run (RSA generation takes a while). */
final class TestKeys {

    static final DkimKeyGenerator.GeneratedKey RSA = DkimKeyGenerator.generate(DkimAlgorithm.RSA_SHA256);
    static final DkimKeyGenerator.GeneratedKey ED25519 = DkimKeyGenerator.generate(DkimAlgorithm.ED25519_SHA256);

    private TestKeys() {
    }

    static DkimKeyGenerator.GeneratedKey of(DkimAlgorithm algorithm) {
        return algorithm == DkimAlgorithm.RSA_SHA256 ? RSA : ED25519;
    }
}
