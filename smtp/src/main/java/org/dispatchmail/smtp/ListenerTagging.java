package org.dispatchmail.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.submission.ListenerRole;

/**
 * Tags each mail with the listener it arrived on: role, name, local port, TLS state (protocol and cipher when
 * TLS is on) and, on submission listeners, the SASL mechanism of the login. James 3.8 records none of these,
 * and the processors (matchers ListenerIs, IsSubmission, AuthMechanismIs) route by them.
 */
final class ListenerTagging {
    static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    static final AttributeName NAME = AttributeName.of(ListenerRole.NAME_ATTRIBUTE);
    static final AttributeName PORT = AttributeName.of(ListenerRole.PORT_ATTRIBUTE);
    static final AttributeName TLS = AttributeName.of(ListenerRole.TLS_ATTRIBUTE);
    static final AttributeName TLS_PROTOCOL = AttributeName.of(ListenerRole.TLS_PROTOCOL_ATTRIBUTE);
    static final AttributeName TLS_CIPHER = AttributeName.of(ListenerRole.TLS_CIPHER_ATTRIBUTE);
    static final AttributeName AUTH_MECHANISM = AttributeName.of(ListenerRole.AUTH_MECHANISM_ATTRIBUTE);

    private final ListenerRole role;
    /** Empty: "role-port", made per mail from the port the session came in on. */
    private final String name;

    ListenerTagging(ListenerRole role, String name) {
        this.role = role;
        this.name = name;
    }

    void tag(SMTPSession session, Mail mail) {
        int port = session.getLocalAddress().getPort();
        mail.setAttribute(new Attribute(ROLE, AttributeValue.of(role.configName())));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(name.isEmpty() ? role.configName() + "-" + port : name)));
        mail.setAttribute(new Attribute(PORT, AttributeValue.of(port)));
        mail.setAttribute(new Attribute(TLS, AttributeValue.of(session.isTLSStarted())));
        session.getSSLSession().ifPresent(tls -> {
            mail.setAttribute(new Attribute(TLS_PROTOCOL, AttributeValue.of(tls.getProtocol())));
            mail.setAttribute(new Attribute(TLS_CIPHER, AttributeValue.of(tls.getCipherSuite())));
        });
        if (role.isSubmission()) {
            session.getAttachment(SubmissionAuth.MECHANISM, ProtocolSession.State.Connection).ifPresent(mechanism ->
                mail.setAttribute(new Attribute(AUTH_MECHANISM, AttributeValue.of(mechanism))));
        }
    }
}
