package org.dispatchmail.mailets;

import java.util.Optional;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.submission.ListenerRole;
import org.dispatchmail.core.dkim.SigningPolicy;

/** Reads from a mail's attributes (set by the server, never by the message) what the signing policy decides on. */
final class SigningFacts {
    private static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    private static final AttributeName AUTHOR_CHECKED = AttributeName.of(SigningPolicy.AUTHOR_CHECKED_ATTRIBUTE);
    private static final AttributeName REPORT = AttributeName.of(SigningPolicy.REPORT_ATTRIBUTE);
    private static final AttributeName SIGNABLE = AttributeName.of(SigningPolicy.SIGNABLE_ATTRIBUTE);

    private SigningFacts() {
    }

    static SigningPolicy.Facts of(Mail mail) {
        Optional<ListenerRole> role = text(mail, ROLE).flatMap(SigningFacts::role);
        Optional<String> login = text(mail, Mail.SMTP_AUTH_USER);
        return new SigningPolicy.Facts(role, login, text(mail, AUTHOR_CHECKED), isTrue(mail, REPORT), isTrue(mail, SIGNABLE));
    }

    private static Optional<ListenerRole> role(String value) {
        try {
            return Optional.of(ListenerRole.parse(value));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> text(Mail mail, AttributeName name) {
        return mail.getAttribute(name).map(Attribute::getValue).map(AttributeValue::getValue).map(Object::toString)
            .filter(value -> !value.isBlank());
    }

    /** Boolean true or the text "true" (SetMailAttribute sets text). */
    private static boolean isTrue(Mail mail, AttributeName name) {
        return text(mail, name).map(value -> value.trim().equalsIgnoreCase("true")).orElse(false);
    }
}
