package org.dispatchmail.smtp;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.rrt.api.RecipientRewriteTable;
import org.apache.james.rrt.api.RecipientRewriteTableException;
import org.apache.james.smtpserver.fastfail.ValidRcptHandler;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;

/**
 * On the MX port, a recipient in a local domain must be a James user or an alias (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.KnownLocalRecipients"/>} in the mx handler chain); anything else
 * gets {@code 550 5.1.1 Unknown user: <address>} at RCPT.
 *
 * <p>Without it James accepts any local part of a local domain, including relay tricks such as
 * {@code bob%elsewhere.test@example.com} or {@code "bob@elsewhere.test"@example.com}, and the transport processor
 * then bounces them to the MAIL FROM address: a bounce, with the subject chosen by whoever connected, sent from
 * this server to any address (backscatter). postmaster and abuse stay accepted (RFC 5321 section 4.5.1), as
 * James's own hook does.
 */
public class KnownLocalRecipients extends ValidRcptHandler {

    @Inject
    public KnownLocalRecipients(UsersRepository users, RecipientRewriteTable recipientRewriteTable, DomainList domains) {
        super(users, recipientRewriteTable, domains);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        String localPart = rcpt.getLocalPart();
        if (localPart.equalsIgnoreCase("postmaster") || localPart.equalsIgnoreCase("abuse")) {
            return HookResult.DECLINED;
        }
        return super.doRcpt(session, sender, rcpt);
    }

    @Override
    protected boolean isValidRecipient(SMTPSession session, MailAddress recipient)
        throws UsersRepositoryException, RecipientRewriteTableException {
        try {
            return super.isValidRecipient(session, recipient);
        } catch (IllegalArgumentException e) {
            // e.g. "bob@elsewhere.test"@example.com: James cannot even make a user name of it (it would answer 451)
            return false;
        }
    }
}
