package org.dispatchmail.smtp;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.smtpserver.AddDefaultAttributesMessageHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a 250 a promise: stores every accepted mail (content, envelope, DSN parameters, attributes) in
 * Cassandra before James puts it in its spool and answers 250; if Cassandra does not acknowledge, the
 * mail is refused with {@code 451 4.3.0} and nothing is accepted. The last handler before James's core
 * handlers of every listener (smtpserver.xml), so the mail it stores is the one the spool gets.
 */
public class DurableIntake implements JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(DurableIntake.class);
    /** James adds the session's attributes (client, HELO, login) right after this hook: journal them too. */
    private final AddDefaultAttributesMessageHook sessionAttributes = new AddDefaultAttributesMessageHook();
    private final MailIntake intake;

    @Inject
    public DurableIntake(MailIntake intake) {
        this.intake = intake;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        sessionAttributes.onMessage(session, mail);
        try {
            intake.journal(mail);
            return HookResult.DECLINED;
        } catch (MessagingException | RuntimeException e) {
            LOGGER.warn("refused mail={} from {}: not stored durably: {}", mail.getName(),
                session.getRemoteAddress().getAddress().getHostAddress(), e.getMessage());
            return HookResult.builder().hookReturnCode(HookReturnCode.denySoft()).smtpReturnCode("451")
                .smtpDescription("4.3.0 Mail system temporarily unavailable, message not accepted: try again later")
                .build();
        }
    }
}
