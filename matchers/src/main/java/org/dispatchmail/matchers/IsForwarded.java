package org.dispatchmail.matchers;

import java.util.Collection;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.dispatchmail.core.dkim.SigningPolicy;

/**
 * Matches mail that leaves without having been submitted by a login of ours: forwards and aliases of mail that came
 * in on the MX port, re-sent by James's RecipientRewriteTable. Dispatch's own reports (attribute
 * {@code dispatch.report}) and mail an admin marked signable ({@code dispatch.signable}: mail the admin vouches for,
 * e.g. an application server's) are not forwarded mail.
 */
public class IsForwarded extends GenericMatcher {
    static final AttributeName REPORT = AttributeName.of(SigningPolicy.REPORT_ATTRIBUTE);
    static final AttributeName SIGNABLE = AttributeName.of(SigningPolicy.SIGNABLE_ATTRIBUTE);

    private final IsSubmission submission = new IsSubmission();

    @Override
    public Collection<MailAddress> match(Mail mail) {
        if (mail.getAttribute(REPORT).isPresent() || mail.getAttribute(SIGNABLE).isPresent()
            || !submission.match(mail).isEmpty()) {
            return List.of();
        }
        return mail.getRecipients();
    }
}
