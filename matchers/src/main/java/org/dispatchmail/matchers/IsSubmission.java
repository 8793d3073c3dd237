package org.dispatchmail.matchers;

import java.util.Collection;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.dispatchmail.core.submission.ListenerRole;

/**
 * Matches mail received on a submission listener (587, 465, ... as tagged by ListenerPolicy) by
 * an authenticated client: the mail Dispatch signs and sends out.
 */
public class IsSubmission extends GenericMatcher {
    private static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);

    @Override
    public Collection<MailAddress> match(Mail mail) {
        boolean submitted = mail.getAttribute(ROLE)
            .map(Attribute::getValue)
            .map(AttributeValue::getValue)
            .map(value -> ListenerRole.parse(value.toString()).isSubmission())
            .orElse(false);
        boolean authenticated = mail.getAttribute(Mail.SMTP_AUTH_USER).isPresent();
        return submitted && authenticated ? mail.getRecipients() : List.of();
    }
}
