package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class SubmissionUserTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    private final SubmissionUsers users = new SubmissionUsers(new InMemorySubmissionUserStore(),
        TestHashing.fast().hashing, new MovableClock(T0), TestHashing.secrets());

    private SubmissionUser alice(String... senders) {
        return users.add("alice@example.com", "a long enough password", List.of(senders));
    }

    @Test
    void theLoginItselfIsAlwaysAllowedInAnyCase() {
        SubmissionUser user = alice();

        assertThat(user.maySendAs("alice@example.com")).isTrue();
        assertThat(user.maySendAs("ALICE@Example.Com")).isTrue();
        assertThat(user.maySendAs("bob@example.com")).isFalse();
    }

    @Test
    void anExactEntryAllowsThatAddressOnly() {
        SubmissionUser user = alice("Billing@Example.com");

        assertThat(user.maySendAs("billing@example.com")).isTrue();
        assertThat(user.maySendAs("BILLING@EXAMPLE.COM")).isTrue();
        assertThat(user.maySendAs("billing2@example.com")).isFalse();
        assertThat(user.maySendAs("billing@example.com.evil.test")).isFalse();
    }

    @Test
    void aDomainEntryAllowsEveryAddressOfThatDomainButNotItsSubdomainsOrLookalikes() {
        SubmissionUser user = alice("@Example.org");

        assertThat(user.maySendAs("anyone@example.org")).isTrue();
        assertThat(user.maySendAs("Someone.Else@EXAMPLE.ORG")).isTrue();
        assertThat(user.maySendAs("x@sub.example.org")).isFalse();
        assertThat(user.maySendAs("x@notexample.org")).isFalse();
        assertThat(user.maySendAs("x@example.org.evil.test")).isFalse();
        assertThat(user.maySendAs("@example.org")).isFalse();
    }

    @Test
    void emptyAndNullSendersAreNeverAllowed() {
        SubmissionUser user = alice("@example.org");

        assertThat(user.maySendAs(null)).isFalse();
        assertThat(user.maySendAs("")).isFalse();
        assertThat(user.maySendAs("example.org")).isFalse();
    }
}
