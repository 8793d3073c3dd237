package org.dispatchmail.matchers;

import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.dispatchmail.core.report.ReportAttribute;

/**
 * Matches mail in the outbound processor that neither a logged-in user submitted (IsSubmission) nor Dispatch made
 * as a report: mail that came in from outside and leaves again, such as a forward or an alias to a remote address.
 * Such mail gets an ARC seal, never a hosted domain's DKIM signature.
 */
public class IsForwarded extends GenericMatcher {
    private static final AttributeName REPORT = AttributeName.of(ReportAttribute.NAME);

    private final IsSubmission submission = new IsSubmission();

    @Override
    public void init() throws MessagingException {
        submission.init(getMatcherConfig());
    }

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        boolean submitted = !submission.match(mail).isEmpty();
        boolean report = mail.getAttribute(REPORT).isPresent();
        return submitted || report ? List.of() : mail.getRecipients();
    }
}
