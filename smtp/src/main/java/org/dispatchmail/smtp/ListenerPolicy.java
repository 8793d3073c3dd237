package org.dispatchmail.smtp;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.ListenerRole;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy of one listener, by its role (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.ListenerPolicy"><role>submission</role></handler>},
 * placed before James's core handlers):
 * <ul>
 * <li>AUTH: never on the MX port; on submission ports only inside TLS (538 5.7.11 otherwise);</li>
 * <li>MAIL FROM on a submission port needs AUTH first (530 5.7.0);</li>
 * <li>submitted mail without Date: or Message-ID: gets one (RFC 6409 section 8);</li>
 * <li>each mail is tagged with the listener's role, port and TLS state, since James 3.8 records none.</li>
 * </ul>
 */
public class ListenerPolicy implements JamesMessageHook, MailHook, CommandHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(ListenerPolicy.class);
    static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    static final AttributeName PORT = AttributeName.of(ListenerRole.PORT_ATTRIBUTE);
    static final AttributeName TLS = AttributeName.of(ListenerRole.TLS_ATTRIBUTE);
    static final AttributeName TLS_PROTOCOL = AttributeName.of(ListenerRole.TLS_PROTOCOL_ATTRIBUTE);
    static final AttributeName TLS_CIPHER = AttributeName.of(ListenerRole.TLS_CIPHER_ATTRIBUTE);
    private static final DateTimeFormatter RFC5322_DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    private ListenerRole role;

    @Override
    public void init(Configuration config) throws ConfigurationException {
        String value = config.getString("role", null);
        if (value == null) {
            throw new ConfigurationException("smtpserver.xml: ListenerPolicy needs <role>mx|submission|submissions</role>");
        }
        try {
            role = ListenerRole.parse(value);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("smtpserver.xml: ListenerPolicy <role> " + e.getMessage());
        }
    }

    @Override
    public Collection<String> getImplCommands() {
        return List.of("AUTH");
    }

    /** Answers AUTH where it is refused; returns null to let James's own AUTH handler go on. */
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (!role.isSubmission()) {
            return new SMTPResponse("503", "5.5.1 Authentication is not offered on this port: submit mail on port 587 or 465");
        }
        if (!session.isTLSStarted()) {
            return new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism");
        }
        return null;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (role.isSubmission() && session.getUsername() == null) {
            return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode("530")
                .smtpDescription("5.7.0 Authentication required").build();
        }
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        mail.setAttribute(new Attribute(ROLE, AttributeValue.of(role.configName())));
        mail.setAttribute(new Attribute(PORT, AttributeValue.of(session.getLocalAddress().getPort())));
        mail.setAttribute(new Attribute(TLS, AttributeValue.of(session.isTLSStarted())));
        session.getSSLSession().ifPresent(tls -> {
            mail.setAttribute(new Attribute(TLS_PROTOCOL, AttributeValue.of(tls.getProtocol())));
            mail.setAttribute(new Attribute(TLS_CIPHER, AttributeValue.of(tls.getCipherSuite())));
        });
        if (role.isSubmission()) {
            completeHeaders(mail, session.getConfiguration().getHelloName());
        }
        return HookResult.DECLINED;
    }

    /** RFC 6409 section 8: a submission server may add a missing Date: and Message-ID:. */
    private static void completeHeaders(Mail mail, String hostName) {
        try {
            MimeMessage message = mail.getMessage();
            if (message.getHeader("Date") == null) {
                message.setHeader("Date", RFC5322_DATE.format(ZonedDateTime.now()));
            }
            if (message.getHeader("Message-ID") == null) {
                message.setHeader("Message-ID", "<" + UUID.randomUUID() + "@" + hostName + ">");
            }
        } catch (MessagingException e) {
            LOGGER.warn("cannot complete the headers of mail {}: {}", mail.getName(), e.getMessage());
        }
    }
}
