package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.dispatchmail.core.submission.ListenerRole;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.dispatchmail.core.dkim.SigningPolicy.Grant;
import org.junit.jupiter.api.Test;

class SigningFactsTest {
    private static Attribute attribute(String name, Object value) {
        return new Attribute(AttributeName.of(name), AttributeValue.ofAny(value));
    }

    private static SigningPolicy.Decision decide(Attribute... attributes) throws Exception {
        FakeMail.Builder mail = FakeMail.builder().name("m1");
        for (Attribute attribute : attributes) {
            mail.attribute(attribute);
        }
        return SigningPolicy.decide(SigningFacts.of(mail.build()));
    }

    @Test
    void aCheckedSubmissionIsGranted() throws Exception {
        assertThat(decide(attribute(ListenerRole.ROLE_ATTRIBUTE, "submission"),
            new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.com")),
            attribute(SigningPolicy.AUTHOR_CHECKED_ATTRIBUTE, "alice@example.com")).grant())
            .contains(Grant.SUBMITTED_BY_CHECKED_LOGIN);
    }

    @Test
    void mailFromTheMxPortOrWithoutAttributesIsRefused() throws Exception {
        assertThat(decide(attribute(ListenerRole.ROLE_ATTRIBUTE, "mx")).allowed()).isFalse();
        assertThat(decide().allowed()).isFalse();
        assertThat(decide(attribute(ListenerRole.ROLE_ATTRIBUTE, "not-a-role")).allowed()).isFalse();
    }

    @Test
    void reportsAndAdminMarksAreGrantedAsBooleanOrAsTheTextTrue() throws Exception {
        assertThat(decide(attribute(SigningPolicy.REPORT_ATTRIBUTE, true)).grant()).contains(Grant.DISPATCH_REPORT);
        assertThat(decide(attribute(SigningPolicy.SIGNABLE_ATTRIBUTE, "true")).grant()).contains(Grant.MARKED_BY_ADMIN);
        assertThat(decide(attribute(SigningPolicy.SIGNABLE_ATTRIBUTE, "no")).allowed()).isFalse();
    }
}
