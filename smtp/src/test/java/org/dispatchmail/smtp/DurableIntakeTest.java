package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.junit.jupiter.api.Test;

class DurableIntakeTest {
    private static final String MESSAGE = "From: alice@example.com\r\n\r\nbody\r\n";

    @Test
    void aMailThatIsDurableGoesOnToJamesWithTheSessionsAttributes() throws Exception {
        List<Mail> journaled = new ArrayList<>();
        MailImpl mail = MailImpl.builder().name("mail-1").addRecipient("bob@example.com")
            .mimeMessage(TestDoubles.mail(MESSAGE, "bob@example.com").getMessage()).build();

        HookResult result = new DurableIntake(journaled::add).onMessage(TestSession.tls(587).session, mail);

        assertThat(result).isEqualTo(HookResult.DECLINED);
        assertThat(journaled).containsExactly(mail);
        assertThat(mail.getRemoteAddr()).as("journaled with the client, as James will spool it").isEqualTo("192.0.2.7");
    }

    @Test
    void aMailThatIsNotDurableIsRefusedWith451AndNeverA250() throws Exception {
        MailIntake away = mail -> {
            throw new CassandraUnavailableException("no node available", new IllegalStateException("timed out"));
        };

        HookResult result = new DurableIntake(away).onMessage(TestSession.tls(587).session,
            TestDoubles.mail(MESSAGE, "bob@example.com"));

        SubmissionRulesTest.assertRefused(result, HookReturnCode.denySoft(), "451",
            "4.3.0 Mail system temporarily unavailable, message not accepted: try again later");
    }
}
