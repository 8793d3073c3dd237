package org.dispatchmail.matchers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.Test;

class ListenerIsTest {
    private static ListenerIs matcher(String condition) throws MessagingException {
        ListenerIs matcher = new ListenerIs();
        matcher.init(FakeMatcherConfig.builder().matcherName("ListenerIs").condition(condition).build());
        return matcher;
    }

    private static FakeMail mail(String role, int port) throws MessagingException {
        return FakeMail.builder().name("m1").recipient("bob@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of(role)))
            .attribute(new Attribute(AttributeName.of("dispatch.listener.port"), AttributeValue.of(port)))
            .build();
    }

    @Test
    void matchesByRoleOrByPort() throws Exception {
        assertThat(matcher("submission").match(mail("submission", 587))).hasSize(1);
        assertThat(matcher("mx").match(mail("submission", 587))).isEmpty();
        assertThat(matcher("2525").match(mail("submission", 2525))).hasSize(1);
        assertThat(matcher("2525").match(mail("submission", 587))).isEmpty();
        assertThat(matcher("mx").match(FakeMail.builder().name("untagged").recipient("a@b.test").build())).isEmpty();
    }

    @Test
    void aBadConditionStopsStartUpWithItsReason() {
        assertThatThrownBy(() -> matcher("smtp"))
            .hasMessage("mailetcontainer.xml: ListenerIs=smtp: expected a port number or one of mx, submission, submissions");
    }
}
