package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class CramMd5ExchangeTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    private static final String RFC2195_CHALLENGE = "<1896.697170952@postoffice.reston.mci.net>";

    private final TestHashing test = TestHashing.fast();
    private final InMemorySubmissionUserStore store = new InMemorySubmissionUserStore();
    private final SubmissionUsers users = new SubmissionUsers(store, test.hashing, new MovableClock(T0),
        TestHashing.secrets());

    /** RFC 2195's example login "tim" is no address, so it goes into the store directly. */
    private void addTim() {
        store.create(new SubmissionUser("tim", List.of(), T0, T0, Credentials.derive("tanstaaftanstaaf", test.hashing)));
    }

    @Test
    void rfc2195Example() {
        addTim();
        test.comparisons.clear();

        assertThat(users.cramMd5Exchange(RFC2195_CHALLENGE).verify("tim b913a602c7eda7a495b4e6e7334d3890"))
            .contains("tim");
        assertThat(test.comparisons).hasSize(1);
    }

    @Test
    void upperCaseHexAndAnUpperCaseLoginAreAccepted() {
        addTim();

        assertThat(users.cramMd5Exchange(RFC2195_CHALLENGE).verify("TIM B913A602C7EDA7A495B4E6E7334D3890"))
            .contains("tim");
    }

    @Test
    void aWrongDigestFails() {
        addTim();

        assertThat(users.cramMd5Exchange(RFC2195_CHALLENGE).verify("tim b913a602c7eda7a495b4e6e7334d3891")).isEmpty();
    }

    @Test
    void anUnknownLoginFailsAfterTheSameComparison() {
        test.comparisons.clear();

        assertThat(users.cramMd5Exchange(RFC2195_CHALLENGE).verify("tim b913a602c7eda7a495b4e6e7334d3890")).isEmpty();
        assertThat(test.comparisons).hasSize(1);
    }

    @Test
    void anExchangeAnswersOnceSoAResponseCannotBeReplayed() {
        addTim();
        CramMd5Exchange exchange = users.cramMd5Exchange(RFC2195_CHALLENGE);

        assertThat(exchange.verify("tim b913a602c7eda7a495b4e6e7334d3890")).contains("tim");
        assertThat(exchange.verify("tim b913a602c7eda7a495b4e6e7334d3890")).isEmpty();
    }

    @Test
    void malformedResponsesFail() {
        addTim();
        for (String response : new String[] {null, "", "tim", " b913a602c7eda7a495b4e6e7334d3890",
            "tim b913a602c7eda7a495b4e6e7334d389", "tim b913a602c7eda7a495b4e6e7334d389g",
            "tim b913a602c7eda7a495b4e6e7334d389\u0663"}) {
            assertThat(users.cramMd5Exchange(RFC2195_CHALLENGE).verify(response)).as("%s", response).isEmpty();
        }
    }

    @Test
    void aStartedExchangeHasAUniqueChallengeNamingTheHost() {
        CramMd5Exchange one = users.startCramMd5("mail.example.com");
        CramMd5Exchange two = users.startCramMd5("mail.example.com");

        assertThat(one.challenge()).matches("<[0-9]+\\." + T0.getEpochSecond() + "@mail\\.example\\.com>");
        assertThat(one.challenge()).isNotEqualTo(two.challenge());
        assertThatThrownBy(() -> users.startCramMd5("bad host>")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aUserAddedThroughTheServiceAuthenticates() throws Exception {
        users.add("alice@example.com", "a long enough password", List.of());
        CramMd5Exchange exchange = users.startCramMd5("mail.example.com");
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacMD5");
        mac.init(new javax.crypto.spec.SecretKeySpec("a long enough password".getBytes("UTF-8"), "HmacMD5"));
        String digest = ResumableMd5Test.hex(mac.doFinal(exchange.challenge().getBytes("US-ASCII")));

        assertThat(exchange.verify("Alice@Example.com " + digest)).contains("alice@example.com");
    }
}
