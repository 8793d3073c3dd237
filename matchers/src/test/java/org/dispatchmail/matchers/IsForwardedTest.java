package org.dispatchmail.matchers;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IsForwardedTest {
    private IsForwarded matcher;

    @BeforeEach
    void setUp() throws Exception {
        matcher = new IsForwarded();
        matcher.init(FakeMatcherConfig.builder().matcherName("IsForwarded").build());
    }

    private static FakeMail.Builder mail(String role) throws Exception {
        return FakeMail.builder().name("m1").sender("someone@origin.test").recipient("bob@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of(role)));
    }

    @Test
    void mailThatCameInOnTheMxPortAndLeavesAgainMatches() throws Exception {
        assertThat(matcher.match(mail("mx").build())).containsExactly(new MailAddress("bob@remote.test"));
    }

    @Test
    void submittedMailDoesNotMatch() throws Exception {
        FakeMail submitted = mail("submission")
            .attribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@local.test"))).build();

        assertThat(matcher.match(submitted)).isEmpty();
    }

    @Test
    void dispatchReportsDoNotMatch() throws Exception {
        FakeMail report = mail("mx").attribute(new Attribute(AttributeName.of("dispatch.report"), AttributeValue.of(true)))
            .build();

        assertThat(matcher.match(report)).isEmpty();
    }

    @Test
    void mailAnAdminMarkedSignableDoesNotMatch() throws Exception {
        FakeMail marked = mail("mx").attribute(new Attribute(AttributeName.of("dispatch.signable"), AttributeValue.of("true")))
            .build();

        assertThat(matcher.match(marked)).isEmpty();
    }
}
