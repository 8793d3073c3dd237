package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.dispatchmail.core.submission.ListenerRole;
import org.junit.jupiter.api.Test;

class ListenerTaggingTest {
    private static final String MESSAGE = "From: alice@example.com\r\n\r\nbody\r\n";

    private static Optional<Object> attribute(FakeMail mail, AttributeName name) {
        return mail.getAttribute(name).map(attribute -> attribute.getValue().value());
    }

    @Test
    void aMailFromTheMxPortSaysSoAndThatItCameInPlain() throws Exception {
        FakeMail mail = TestDoubles.mail(MESSAGE, "bob@example.com");

        new ListenerTagging(ListenerRole.MX, "").tag(TestSession.plain(2525).session, mail);

        assertThat(attribute(mail, ListenerTagging.ROLE)).contains("mx");
        assertThat(attribute(mail, ListenerTagging.NAME)).as("role-port when unnamed").contains("mx-2525");
        assertThat(attribute(mail, ListenerTagging.PORT)).contains(2525);
        assertThat(attribute(mail, ListenerTagging.TLS)).contains(false);
        assertThat(attribute(mail, ListenerTagging.TLS_PROTOCOL)).isEmpty();
        assertThat(attribute(mail, ListenerTagging.TLS_CIPHER)).isEmpty();
    }

    @Test
    void aSubmittedMailCarriesTheListenerNameTlsAndTheLoginsMechanism() throws Exception {
        SSLSession tls = SSLContext.getDefault().createSSLEngine().getSession();
        TestSession test = TestSession.tls(465).withSslSession(tls);
        test.session.setAttachment(SubmissionAuth.MECHANISM, "SCRAM-SHA-256", ProtocolSession.State.Connection);
        FakeMail mail = TestDoubles.mail(MESSAGE, "bob@example.com");

        new ListenerTagging(ListenerRole.SUBMISSIONS, "smtps-main").tag(test.session, mail);

        assertThat(attribute(mail, ListenerTagging.ROLE)).contains("submissions");
        assertThat(attribute(mail, ListenerTagging.NAME)).contains("smtps-main");
        assertThat(attribute(mail, ListenerTagging.TLS)).contains(true);
        assertThat(attribute(mail, ListenerTagging.TLS_PROTOCOL)).contains(tls.getProtocol());
        assertThat(attribute(mail, ListenerTagging.TLS_CIPHER)).contains(tls.getCipherSuite());
        assertThat(mail.getAttribute(ListenerTagging.AUTH_MECHANISM)).hasValueSatisfying(attribute ->
            assertThat(attribute.getValue()).isEqualTo(AttributeValue.of("SCRAM-SHA-256")));
    }

    @Test
    void theMxPortRecordsNoMechanism() throws Exception {
        TestSession test = TestSession.tls(25);
        test.session.setAttachment(SubmissionAuth.MECHANISM, "PLAIN", ProtocolSession.State.Connection);
        FakeMail mail = TestDoubles.mail(MESSAGE, "bob@example.com");

        new ListenerTagging(ListenerRole.MX, "").tag(test.session, mail);

        assertThat(mail.getAttribute(ListenerTagging.AUTH_MECHANISM)).isEmpty();
    }
}
