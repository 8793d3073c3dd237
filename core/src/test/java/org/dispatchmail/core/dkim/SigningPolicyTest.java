package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.dispatchmail.core.submission.ListenerRole;
import org.dispatchmail.core.dkim.SigningPolicy.Facts;
import org.dispatchmail.core.dkim.SigningPolicy.Grant;
import org.junit.jupiter.api.Test;

class SigningPolicyTest {
    private static Facts facts(ListenerRole role, String login, String checkedFor) {
        return new Facts(Optional.ofNullable(role), Optional.ofNullable(login), Optional.ofNullable(checkedFor), false, false);
    }

    @Test
    void aSubmissionWhoseFromWasCheckedAgainstItsLoginIsSigned() {
        assertThat(SigningPolicy.decide(facts(ListenerRole.SUBMISSION, "alice@example.com", "alice@example.com")).grant())
            .contains(Grant.SUBMITTED_BY_CHECKED_LOGIN);
        assertThat(SigningPolicy.decide(facts(ListenerRole.SUBMISSIONS, "Alice@Example.com", "alice@example.com")).allowed())
            .as("logins compare without case").isTrue();
    }

    @Test
    void mailThatCameInOnTheMxPortIsNeverSignedWhateverElseItCarries() {
        SigningPolicy.Decision decision = SigningPolicy.decide(facts(ListenerRole.MX, null, null));
        assertThat(decision.allowed()).isFalse();
        assertThat(decision.reason()).contains("MX port");
        assertThat(SigningPolicy.decide(facts(ListenerRole.MX, "alice@example.com", "alice@example.com")).allowed())
            .as("even with a login (which port 25 never has)").isFalse();
    }

    @Test
    void aSubmissionWithoutLoginOrWithoutTheFromCheckIsNotSigned() {
        assertThat(SigningPolicy.decide(facts(ListenerRole.SUBMISSION, null, null)).reason())
            .contains("without authentication");
        assertThat(SigningPolicy.decide(facts(ListenerRole.SUBMISSION, "alice@example.com", null)).reason())
            .contains("not checked");
        assertThat(SigningPolicy.decide(facts(ListenerRole.SUBMISSION, "alice@example.com", "bob@example.com")).allowed())
            .as("checked for another login").isFalse();
    }

    @Test
    void mailNoListenerReceivedIsNotSignedUnlessItIsAReportOrMarked() {
        assertThat(SigningPolicy.decide(facts(null, null, null)).allowed()).isFalse();
        assertThat(SigningPolicy.decide(new Facts(Optional.empty(), Optional.empty(), Optional.empty(), true, false)).grant())
            .contains(Grant.DISPATCH_REPORT);
        assertThat(SigningPolicy.decide(new Facts(Optional.of(ListenerRole.MX), Optional.empty(), Optional.empty(), false,
            true)).grant()).as("an admin's explicit mark").contains(Grant.MARKED_BY_ADMIN);
    }
}
