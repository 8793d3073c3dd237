package org.dispatchmail.matchers;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.dispatchmail.core.submission.ListenerRole;

/**
 * Matches mail received by a given listener, as tagged by ListenerPolicy: by role
 * ({@code ListenerIs=mx}, {@code =submission}, {@code =submissions}) or by local port ({@code ListenerIs=2525}).
 */
public class ListenerIs extends GenericMatcher {
    private static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    private static final AttributeName PORT = AttributeName.of(ListenerRole.PORT_ATTRIBUTE);

    private Optional<ListenerRole> role = Optional.empty();
    private Optional<Integer> port = Optional.empty();

    @Override
    public void init() throws MessagingException {
        String condition = getCondition() == null ? "" : getCondition().trim();
        if (condition.matches("\\d{1,5}")) {
            port = Optional.of(Integer.parseInt(condition));
            return;
        }
        try {
            role = Optional.of(ListenerRole.parse(condition));
        } catch (IllegalArgumentException e) {
            throw new MessagingException("mailetcontainer.xml: ListenerIs=" + condition + ": expected a port number or "
                + e.getMessage().replace("'" + condition + "' is not ", ""));
        }
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        boolean matches = role.isPresent()
            ? value(mail, ROLE).map(value -> value.equals(role.get().configName())).orElse(false)
            : value(mail, PORT).map(value -> value.equals(String.valueOf(port.get()))).orElse(false);
        return matches ? mail.getRecipients() : List.of();
    }

    private static Optional<String> value(Mail mail, AttributeName name) {
        return mail.getAttribute(name).map(Attribute::getValue).map(AttributeValue::getValue).map(Object::toString);
    }
}
