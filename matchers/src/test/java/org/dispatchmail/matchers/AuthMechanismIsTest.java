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

class AuthMechanismIsTest {
    private static AuthMechanismIs matcher(String condition) throws MessagingException {
        AuthMechanismIs matcher = new AuthMechanismIs();
        matcher.init(FakeMatcherConfig.builder().matcherName("AuthMechanismIs").condition(condition).build());
        return matcher;
    }

    private static FakeMail mail(String mechanism) throws MessagingException {
        return FakeMail.builder().name("m1").recipient("bob@remote.test")
            .attribute(new Attribute(AttributeName.of("dispatch.auth.mechanism"), AttributeValue.of(mechanism))).build();
    }

    @Test
    void matchesTheRecordedMechanismWhateverTheCaseOfTheCondition() throws Exception {
        assertThat(matcher("cram-md5").match(mail("CRAM-MD5"))).hasSize(1);
        assertThat(matcher("PLAIN").match(mail("CRAM-MD5"))).isEmpty();
        assertThat(matcher("PLAIN").match(FakeMail.builder().name("m2").recipient("a@b.test").build())).isEmpty();
    }

    @Test
    void anUnknownMechanismStopsStartUp() {
        assertThatThrownBy(() -> matcher("GSSAPI")).hasMessageContaining("expected one of PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-256");
    }
}
