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

    @Test
    void mailThatCameFromOutsideMatches() throws Exception {
        FakeMail forward = FakeMail.builder().name("m1").recipient("carol@remote.test").build();
        FakeMail fromMx = FakeMail.builder().name("m2").recipient("carol@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of("mx"))).build();

        assertThat(matcher.match(forward)).containsExactly(new MailAddress("carol@remote.test"));
        assertThat(matcher.match(fromMx)).containsExactly(new MailAddress("carol@remote.test"));
    }

    @Test
    void submittedMailDoesNotMatch() throws Exception {
        FakeMail submitted = FakeMail.builder().name("m1").recipient("bob@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of("submission")))
            .attribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@local.test")))
            .build();

        assertThat(matcher.match(submitted)).isEmpty();
    }

    @Test
    void dispatchsOwnReportsDoNotMatch() throws Exception {
        FakeMail report = FakeMail.builder().name("m1").recipient("alice@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.report"), AttributeValue.of(true)))
            .build();

        assertThat(matcher.match(report)).isEmpty();
    }
}
