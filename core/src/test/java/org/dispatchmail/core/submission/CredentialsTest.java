package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.junit.jupiter.api.Test;

class CredentialsTest {
    private final TestHashing test = TestHashing.fast();

    @Test
    void pbkdf2MatchesTheRfc7914Vector() {
        byte[] out = test.hashing.pbkdf2("passwd", "salt".getBytes(StandardCharsets.US_ASCII), 1, 64);

        assertThat(ResumableMd5Test.hex(out)).isEqualTo("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
    }

    @Test
    void thePasswordMatchesItsOwnHashOnlyAndComparisonIsConstantTime() {
        Credentials credentials = Credentials.derive("correct horse battery", test.hashing);
        test.comparisons.clear();

        assertThat(credentials.matchesPassword("correct horse battery", test.hashing)).isTrue();
        assertThat(credentials.matchesPassword("correct horse batterY", test.hashing)).isFalse();
        assertThat(credentials.matchesPassword(null, test.hashing)).isFalse();

        assertThat(test.comparisons).hasSize(3).allSatisfy(lengths -> assertThat(lengths).containsExactly(32, 32));
    }

    @Test
    void theProductionComparisonIsMessageDigestIsEqual() {
        PasswordHashing hashing = new PasswordHashing(1, 1);
        byte[] a = {1, 2, 3};

        assertThat(hashing.same(a, new byte[] {1, 2, 3})).isTrue();
        assertThat(hashing.same(a, new byte[] {1, 2, 4})).isFalse();
        assertThat(hashing.same(a, new byte[] {1, 2})).isFalse();
    }

    @Test
    void eachDerivationHasFreshSaltsAndStoresTheIterationCounts() {
        Credentials one = Credentials.derive("the same password", test.hashing);
        Credentials two = Credentials.derive("the same password", test.hashing);

        assertThat(one.pbkdf2Salt()).hasSize(16).isNotEqualTo(two.pbkdf2Salt());
        assertThat(one.pbkdf2Hash()).hasSize(32).isNotEqualTo(two.pbkdf2Hash());
        assertThat(one.scramSalt()).hasSize(16).isNotEqualTo(one.pbkdf2Salt());
        assertThat(one.pbkdf2Iterations()).isEqualTo(1000);
        assertThat(one.scramIterations()).isEqualTo(4096);
    }

    @Test
    void aHashKeepsTheIterationCountItWasMadeWith() {
        Credentials old = Credentials.derive("made under old settings", new PasswordHashing(500, 100));

        assertThat(old.matchesPassword("made under old settings", test.hashing)).isTrue();
    }

    @Test
    void theCramMd5ContextAnswersLikeHmacMd5WithThePassword() throws Exception {
        Random random = new Random(11);
        for (int keyLength : new int[] {1, 16, 63, 64, 65, 200}) {
            byte[] key = new byte[keyLength];
            random.nextBytes(key);
            byte[] challenge = "<12345.1700000000@mx.example.com>".getBytes(StandardCharsets.US_ASCII);
            Mac mac = Mac.getInstance("HmacMD5");
            mac.init(new SecretKeySpec(key, "HmacMD5"));

            assertThat(CramMd5Context.hmac(CramMd5Context.fromKey(key), challenge)).as("key of %d bytes", keyLength)
                .isEqualTo(mac.doFinal(challenge));
        }
    }

    @Test
    void nonAsciiPasswordsAreComparedAfterSaslPrep() {
        // "é" precomposed when set, decomposed when typed; a no-break space typed as a space.
        Credentials credentials = Credentials.derive("caf\u00e9\u00a0au lait!", test.hashing);

        assertThat(credentials.matchesPassword("cafe\u0301 au lait!", test.hashing)).isTrue();
    }

    @Test
    void describingCredentialsShowsNoMaterial() {
        assertThat(Credentials.derive("s3cret-passphrase", test.hashing).toString())
            .isEqualTo("Credentials[pbkdf2 i=1000, scram i=4096]");
    }
}
