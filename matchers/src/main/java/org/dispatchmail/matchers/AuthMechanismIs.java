package org.dispatchmail.matchers;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.dispatchmail.core.submission.ListenerRole;

/**
 * Matches mail whose client authenticated with the given SASL mechanism
 * ({@code AuthMechanismIs=CRAM-MD5}), as recorded by Dispatch's SubmissionAuth.
 */
public class AuthMechanismIs extends GenericMatcher {
    private static final AttributeName MECHANISM = AttributeName.of(ListenerRole.AUTH_MECHANISM_ATTRIBUTE);
    private static final Set<String> KNOWN = Set.of("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256");

    private String mechanism;

    @Override
    public void init() throws MessagingException {
        mechanism = getCondition() == null ? "" : getCondition().trim().toUpperCase(Locale.ROOT);
        if (!KNOWN.contains(mechanism)) {
            throw new MessagingException("mailetcontainer.xml: AuthMechanismIs=" + getCondition()
                + ": expected one of PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256");
        }
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        boolean matches = mail.getAttribute(MECHANISM).map(Attribute::getValue).map(AttributeValue::getValue)
            .map(value -> mechanism.equals(value.toString())).orElse(false);
        return matches ? mail.getRecipients() : List.of();
    }
}
