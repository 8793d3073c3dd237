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

class IsSubmissionTest {
    private IsSubmission matcher;

    @BeforeEach
    void setUp() throws Exception {
        matcher = new IsSubmission();
        matcher.init(FakeMatcherConfig.builder().matcherName("IsSubmission").build());
    }

    private static FakeMail mail(String role, boolean authenticated) throws Exception {
        FakeMail.Builder builder = FakeMail.builder().name("m1").recipient("bob@remote.test");
        if (role != null) {
            builder.attribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of(role)));
        }
        if (authenticated) {
            builder.attribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@local.test")));
        }
        return builder.build();
    }

    @Test
    void authenticatedMailFromSubmissionListenersMatches() throws Exception {
        assertThat(matcher.match(mail("submission", true))).containsExactly(new MailAddress("bob@remote.test"));
        assertThat(matcher.match(mail("submissions", true))).containsExactly(new MailAddress("bob@remote.test"));
    }

    @Test
    void mxMailUnauthenticatedMailAndUntaggedMailDoNotMatch() throws Exception {
        assertThat(matcher.match(mail("mx", true))).isEmpty();
        assertThat(matcher.match(mail("submission", false))).isEmpty();
        assertThat(matcher.match(mail(null, true))).isEmpty();
    }
}
