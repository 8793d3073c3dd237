package org.dispatchmail.smtp;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the MX port, checks a recipient at srs.domain whose local part starts with SRS0= or SRS1= (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.SrsRecipients"/>} in the mx handler chain, before
 * KnownLocalRecipients and James's core handlers, whose relay check would refuse it). One this cluster made, still
 * within srs.maxAge, is accepted ({@code 250 2.1.5}), and the SrsReverse mailet sends the mail on to the address it
 * stands for. A forged, expired or malformed one is refused at RCPT with {@code 550 5.7.1}: never accepted and
 * bounced later (backscatter), never sent on (an open reflector).
 */
public class SrsRecipients implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(SrsRecipients.class);

    private final SenderRewriting rewriting;

    @Inject
    public SrsRecipients(SenderRewriting rewriting) {
        this.rewriting = rewriting;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        SrsCheck check;
        try {
            check = rewriting.reverse(recipient.asString());
        } catch (RuntimeException e) {
            // The keys live in Cassandra: fail closed, but softly, so the sender tries again.
            LOGGER.warn("SRS key unavailable, deferring RCPT <{}>: {}", recipient.asString(), e.getMessage());
            return reply(HookReturnCode.denySoft(), "451", "4.3.0 Cannot check this SRS address now, try again later");
        }
        switch (check.kind()) {
            case NOT_SRS:
                return HookResult.DECLINED;
            case VALID:
                return HookResult.OK;
            default:
                LOGGER.info("SRS RCPT <{}> from <{}> refused: {} ({})", recipient.asString(), sender.asString(),
                    check.kind(), check.reason());
                return reply(HookReturnCode.deny(), "550", "5.7.1 " + refusal(check));
        }
    }

    private static String refusal(SrsCheck check) {
        switch (check.kind()) {
            case FORGED:
                return "Invalid SRS address: " + check.reason() + "; this server takes bounces only for addresses it made";
            case EXPIRED:
                return "Expired SRS address: " + check.reason() + "; bounces are taken only for a limited time";
            default:
                return "Malformed SRS address: " + check.reason();
        }
    }

    private static HookResult reply(HookReturnCode code, String smtpCode, String description) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(description).build();
    }
}
