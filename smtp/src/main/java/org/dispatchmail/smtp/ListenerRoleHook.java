package org.dispatchmail.smtp;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.ListenerRole;

/**
 * Tags each mail with the role of the listener that received it (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.ListenerRoleHook"><role>submission</role></handler>}),
 * its local port and whether TLS was on, since James 3.8 records none of these itself.
 */
public class ListenerRoleHook implements JamesMessageHook {
    static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    static final AttributeName PORT = AttributeName.of(ListenerRole.PORT_ATTRIBUTE);
    static final AttributeName TLS = AttributeName.of(ListenerRole.TLS_ATTRIBUTE);

    private ListenerRole role;

    @Override
    public void init(Configuration config) throws ConfigurationException {
        String value = config.getString("role", null);
        if (value == null) {
            throw new ConfigurationException("smtpserver.xml: ListenerRoleHook needs <role>mx|submission|submissions</role>");
        }
        try {
            role = ListenerRole.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("smtpserver.xml: ListenerRoleHook <role> " + e.getMessage());
        }
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        mail.setAttribute(new Attribute(ROLE, AttributeValue.of(role.configName())));
        mail.setAttribute(new Attribute(PORT, AttributeValue.of(session.getLocalAddress().getPort())));
        mail.setAttribute(new Attribute(TLS, AttributeValue.of(session.isTLSStarted())));
        return HookResult.DECLINED;
    }
}
