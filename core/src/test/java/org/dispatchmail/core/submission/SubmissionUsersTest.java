package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class SubmissionUsersTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");
    private static final String PASSWORD = "correct horse battery staple";

    private final TestHashing test = TestHashing.fast();
    private final MovableClock clock = new MovableClock(T0);
    private final InMemorySubmissionUserStore store = new InMemorySubmissionUserStore();
    private final SubmissionUsers users = new SubmissionUsers(store, test.hashing, clock, TestHashing.secrets());

    @Test
    void anAddedUserIsStoredLowerCaseWithItsSendersAndDates() {
        SubmissionUser user = users.add(" Alice@Example.COM ", PASSWORD,
            List.of("Billing@Example.com", "@Example.org", "billing@example.com"));

        assertThat(user.login()).isEqualTo("alice@example.com");
        assertThat(user.allowedSenders()).containsExactly("billing@example.com", "@example.org");
        assertThat(user.createdAt()).isEqualTo(T0);
        assertThat(user.passwordChangedAt()).isEqualTo(T0);
        assertThat(users.find("ALICE@example.com")).isPresent();
        assertThat(users.list()).extracting(SubmissionUser::login).containsExactly("alice@example.com");
    }

    @Test
    void thePasswordChecksOutAndNothingElseDoes() {
        users.add("alice@example.com", PASSWORD, List.of());

        assertThat(users.checkPassword("alice@example.com", PASSWORD)).isTrue();
        assertThat(users.checkPassword("Alice@Example.com", PASSWORD)).isTrue();
        assertThat(users.checkPassword("alice@example.com", PASSWORD + " ")).isFalse();
        assertThat(users.checkPassword("alice@example.com", "")).isFalse();
        assertThat(users.checkPassword("alice@example.com", null)).isFalse();
        assertThat(users.checkPassword("bob@example.com", PASSWORD)).isFalse();
        assertThat(users.checkPassword(null, PASSWORD)).isFalse();
    }

    @Test
    void authenticationAnswersTheLoginAsStoredWhateverTheClientsSpelling() {
        users.add("alice@example.com", PASSWORD, List.of());

        assertThat(users.authenticate("ALICE@Example.COM", PASSWORD)).contains("alice@example.com");
        assertThat(users.authenticate(" alice@example.com ", PASSWORD)).contains("alice@example.com");
        assertThat(users.authenticate("ALICE@Example.COM", PASSWORD + "!")).isEmpty();
    }

    @Test
    void nothingStoredHoldsThePassword() {
        SubmissionUser user = users.add("alice@example.com", PASSWORD, List.of());
        byte[] plain = PASSWORD.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Credentials c = user.credentials();

        for (byte[] stored : List.of(c.pbkdf2Salt(), c.pbkdf2Hash(), c.cramMd5Context(), c.scramSalt(),
            c.scramStoredKey(), c.scramServerKey())) {
            assertThat(indexOf(stored, Arrays.copyOf(plain, 8))).isEqualTo(-1);
        }
        assertThat(user.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void anUnknownLoginCostsTheSameHashingAndComparisonAsAWrongPassword() {
        users.add("alice@example.com", PASSWORD, List.of());

        long before = test.hashing.iterationsRun();
        test.comparisons.clear();
        users.checkPassword("alice@example.com", "wrong password here");
        long known = test.hashing.iterationsRun() - before;
        int knownComparisons = test.comparisons.size();

        before = test.hashing.iterationsRun();
        test.comparisons.clear();
        users.checkPassword("nobody@example.com", "wrong password here");
        long unknown = test.hashing.iterationsRun() - before;

        assertThat(known).isEqualTo(1000);
        assertThat(unknown).isEqualTo(known);
        assertThat(test.comparisons).hasSize(knownComparisons).allSatisfy(l -> assertThat(l).containsExactly(32, 32));

        before = test.hashing.iterationsRun();
        users.checkPassword("not even an address", "wrong password here");
        assertThat(test.hashing.iterationsRun() - before).isEqualTo(known);
    }

    @Test
    void changingThePasswordReplacesTheOldOneAndDatesTheChange() {
        users.add("alice@example.com", PASSWORD, List.of("@example.org"));
        clock.advance(Duration.ofDays(3));

        SubmissionUser changed = users.setPassword("ALICE@example.com", "a brand new passphrase");

        assertThat(changed.passwordChangedAt()).isEqualTo(T0.plus(Duration.ofDays(3)));
        assertThat(changed.createdAt()).isEqualTo(T0);
        assertThat(changed.allowedSenders()).containsExactly("@example.org");
        assertThat(users.checkPassword("alice@example.com", PASSWORD)).isFalse();
        assertThat(users.checkPassword("alice@example.com", "a brand new passphrase")).isTrue();
    }

    @Test
    void changingTheSendersKeepsThePassword() {
        users.add("alice@example.com", PASSWORD, List.of("@example.org"));

        SubmissionUser changed = users.setAllowedSenders("alice@example.com", List.of("sales@example.net"));

        assertThat(changed.allowedSenders()).containsExactly("sales@example.net");
        assertThat(users.find("alice@example.com").orElseThrow().maySendAs("x@example.org")).isFalse();
        assertThat(users.checkPassword("alice@example.com", PASSWORD)).isTrue();
    }

    @Test
    void removingALoginEndsItsAuthentication() {
        users.add("alice@example.com", PASSWORD, List.of());

        assertThat(users.remove("Alice@Example.com")).isTrue();
        assertThat(users.remove("alice@example.com")).isFalse();
        assertThat(users.remove(null)).isFalse();
        assertThat(users.checkPassword("alice@example.com", PASSWORD)).isFalse();
        assertThat(users.list()).isEmpty();
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        users.add("alice@example.com", PASSWORD, List.of());

        assertRefused(() -> users.add("alice", PASSWORD, List.of()),
            "login 'alice' is not an address like alice@example.com");
        assertRefused(() -> users.add("alice@localhost", PASSWORD, List.of()), "is not an address");
        assertRefused(() -> users.add("al ice@example.com", PASSWORD, List.of()), "is not an address");
        assertRefused(() -> users.add("", PASSWORD, List.of()), "a login is required");
        assertRefused(() -> users.add(null, PASSWORD, List.of()), "a login is required");
        assertRefused(() -> users.add("bob@example.com", "short pass", List.of()),
            "the password is too weak: it has 10 characters, at least 12 are required");
        assertRefused(() -> users.add("bob@example.com", null, List.of()), "a password is required");
        assertRefused(() -> users.add("bob@example.com", "long enough\u0000password", List.of()),
            "the password contains a control character");
        assertRefused(() -> users.add("bob@example.com", "x".repeat(1025), List.of()), "longer than 1024");
        assertRefused(() -> users.add("bob@example.com", PASSWORD, List.of("example.com")),
            "allowed sender 'example.com' is neither an address (alice@example.com) nor a whole domain (@example.com)");
        assertRefused(() -> users.add("bob@example.com", PASSWORD, List.of("@")), "allowed sender '@'");
        assertRefused(() -> users.add("bob@example.com", PASSWORD, Arrays.asList((String) null)),
            "allowed sender 'null'");
        assertRefused(() -> users.add("ALICE@example.com", PASSWORD, List.of()), "login 'alice@example.com' exists");
        assertRefused(() -> users.setPassword("bob@example.com", PASSWORD), "no submission user 'bob@example.com'");
        assertRefused(() -> users.setPassword("alice@example.com", "too short"), "too weak");
        assertRefused(() -> users.setAllowedSenders("bob@example.com", List.of()), "no submission user");
        assertRefused(() -> users.setAllowedSenders("alice@example.com", List.of("a@b@c")), "allowed sender 'a@b@c'");
        assertThat(users.list()).hasSize(1);
    }

    @Test
    void aPasswordIsCountedInCharactersNotUtf16Units() {
        // Six emoji are twelve UTF-16 units but six characters.
        assertRefused(() -> users.add("bob@example.com", "\uD83D\uDE00".repeat(6), List.of()), "has 6 characters");
        assertThat(users.add("bob@example.com", "\uD83D\uDE00".repeat(12), List.of()).login())
            .isEqualTo("bob@example.com");
    }

    @Test
    void aRefusedPasswordIsNeverQuoted() {
        assertThatThrownBy(() -> users.add("bob@example.com", "Hunter2!", List.of()))
            .hasMessageNotContaining("Hunter2!");
    }

    private static void assertRefused(Runnable action, String reason) {
        assertThatThrownBy(action::run).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(reason);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
