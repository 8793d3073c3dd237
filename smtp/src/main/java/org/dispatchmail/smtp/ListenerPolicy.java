package org.dispatchmail.smtp;

import java.util.Collection;
import java.util.List;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.dispatchmail.core.submission.ListenerRole;

/**
 * The policy of one listener, by its role (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.ListenerPolicy"><role>submission</role></handler>},
 * placed before James's core handlers):
 * <ul>
 * <li>AUTH: never on the MX port (503 5.5.1); on submission ports only inside TLS (538 5.7.11 otherwise);</li>
 * <li>on submission ports, the {@link SubmissionRules}: AUTH before MAIL, the senders a login may use, recipient
 * domains that take mail, the sending limits, missing Date: and Message-ID:;</li>
 * <li>on every port, the {@link ListenerTagging} of each mail.</li>
 * </ul>
 */
public class ListenerPolicy implements JamesMessageHook, MailHook, RcptHook, CommandHandler<SMTPSession> {
    private static final Response NO_AUTH_HERE =
        new SMTPResponse("503", "5.5.1 Authentication is not offered on this port: submit mail on port 587 or 465").immutable();
    private static final Response ENCRYPTION_REQUIRED =
        new SMTPResponse("538", "5.7.11 Encryption required for requested authentication mechanism").immutable();

    private final SubmissionRules submissionRules;
    private ListenerRole role;
    private ListenerTagging tagging;

    @Inject
    public ListenerPolicy(SubmissionRules submissionRules) {
        this.submissionRules = submissionRules;
    }

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
        tagging = new ListenerTagging(role, config.getString("name", "").trim());
    }

    @Override
    public Collection<String> getImplCommands() {
        return List.of("AUTH");
    }

    /** Answers AUTH where it is refused; returns null to let the AUTH handler (SubmissionAuth) go on. */
    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (!role.isSubmission()) {
            return NO_AUTH_HERE;
        }
        if (!session.isTLSStarted()) {
            return ENCRYPTION_REQUIRED;
        }
        return null;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return role.isSubmission() ? submissionRules.mailFrom(session, sender) : HookResult.DECLINED;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        return role.isSubmission() ? submissionRules.rcptTo(session, recipient) : HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        tagging.tag(session, mail);
        return role.isSubmission() ? submissionRules.message(session, mail) : HookResult.DECLINED;
    }
}
