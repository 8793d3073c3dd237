package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.dispatchmail.core.submission.SubmissionSettings.CassandraDownPolicy;
import org.junit.jupiter.api.Test;

class SubmissionRulesLimitsTest {
    @Test
    void limitsThatCannotBeReadRefuseWith451ByDefault() {
        assertThat(SubmissionRules.whenLimitsUnavailable(CassandraDownPolicy.REFUSE)).hasValueSatisfying(result -> {
            assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
            assertThat(result.getSmtpRetCode()).isEqualTo("451");
            assertThat(result.getSmtpDescription()).startsWith("4.3.0 ");
        });
    }

    @Test
    void anAdminMayLetMailThroughUnchecked() {
        assertThat(SubmissionRules.whenLimitsUnavailable(CassandraDownPolicy.ALLOW)).isEmpty();
    }
}
