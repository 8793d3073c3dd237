package org.dispatchmail.smtp;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

import javax.inject.Inject;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.submission.ListenerRole;
import org.dispatchmail.core.submission.SendingLimits;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.routing.MxResolution;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.dispatchmail.core.submission.SubmissionUser;
import org.dispatchmail.mailets.DispatchRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy of one listener, by its role (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.ListenerPolicy"><role>submission</role></handler>},
 * placed before James's core handlers):
 * <ul>
 * <li>AUTH: never on the MX port; on submission ports only inside TLS (538 5.7.11 otherwise);</li>
 * <li>MAIL FROM on a submission port needs AUTH first (530 5.7.0), and an address the login may use
 * (553 5.7.1); so must every From: address of the message (550 5.7.1);</li>
 * <li>a recipient domain that does not exist (550 5.1.2) or takes no mail (null MX, 556 5.1.10) is refused at
 * RCPT on a submission port, rather than bounced later;</li>
 * <li>per-login limits on a submission port: messages and recipients per hour across nodes (451 4.7.1),
 * recipients per message (452 4.5.3); limits that cannot be read (Cassandra away) refuse with 451 4.3.0
 * unless submission.limitsWhenCassandraDown=allow;</li>
 * <li>submitted mail without Date: or Message-ID: gets one (RFC 6409 section 8);</li>
 * <li>each mail is tagged with the listener's role, port and TLS state, since James 3.8 records none.</li>
 * </ul>
 */
public class ListenerPolicy implements JamesMessageHook, MailHook, RcptHook, CommandHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(ListenerPolicy.class);
    static final AttributeName ROLE = AttributeName.of(ListenerRole.ROLE_ATTRIBUTE);
    static final AttributeName NAME = AttributeName.of(ListenerRole.NAME_ATTRIBUTE);
    static final AttributeName PORT = AttributeName.of(ListenerRole.PORT_ATTRIBUTE);
    static final AttributeName TLS = AttributeName.of(ListenerRole.TLS_ATTRIBUTE);
    static final AttributeName TLS_PROTOCOL = AttributeName.of(ListenerRole.TLS_PROTOCOL_ATTRIBUTE);
    static final AttributeName TLS_CIPHER = AttributeName.of(ListenerRole.TLS_CIPHER_ATTRIBUTE);
    static final AttributeName AUTH_MECHANISM = AttributeName.of(ListenerRole.AUTH_MECHANISM_ATTRIBUTE);
    static final AttributeName AUTHOR_CHECKED = AttributeName.of(SigningPolicy.AUTHOR_CHECKED_ATTRIBUTE);
    private static final ProtocolSession.AttachmentKey<Integer> RECIPIENTS =
        ProtocolSession.AttachmentKey.of("dispatch.transaction.recipients", Integer.class);
    /** The login's last hour of sending, read once per transaction (MAIL FROM and every RCPT check it). */
    private static final ProtocolSession.AttachmentKey<SendingLimits.HourlyUsage> USAGE =
        ProtocolSession.AttachmentKey.of("dispatch.transaction.usage", SendingLimits.HourlyUsage.class);
    /** The login's granted senders, read once per transaction (MAIL FROM and the From: check share it). */
    @SuppressWarnings("rawtypes")
    private static final ProtocolSession.AttachmentKey<List> GRANTED =
        ProtocolSession.AttachmentKey.of("dispatch.transaction.grantedSenders", List.class);
    private static final DateTimeFormatter RFC5322_DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    private final DispatchRuntime runtime;
    private final DomainList localDomains;
    private ListenerRole role;
    private String name;

    @Inject
    public ListenerPolicy(DispatchRuntime runtime, DomainList localDomains) {
        this.runtime = runtime;
        this.localDomains = localDomains;
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
        // empty: "<role>-<local port>", filled in per mail
        name = config.getString("name", "").trim();
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
        if (!role.isSubmission()) {
            return HookResult.DECLINED;
        }
        if (session.getUsername() == null) {
            return deny("530", "5.7.0 Authentication required");
        }
        String login = session.getUsername().asString();
        List<String> granted = grantedSenders(login);
        session.setAttachment(GRANTED, granted, ProtocolSession.State.Transaction);
        if (!sender.isNullSender() && !runtime.engine().senderAlignment().allows(login, granted, sender.asString())) {
            return deny("553", "5.7.1 Sender address <" + sender.asString() + "> is not allowed for login " + login);
        }
        Optional<HookResult> overLimit = limit(limits -> {
            SendingLimits.HourlyUsage used = limits.usageOf(login);
            session.setAttachment(USAGE, used, ProtocolSession.State.Transaction);
            return limits.refuseMessage(login, used);
        });
        if (overLimit.isPresent()) {
            return overLimit.get();
        }
        session.setAttachment(RECIPIENTS, 0, ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        if (!role.isSubmission() || session.getUsername() == null) {
            return HookResult.DECLINED;
        }
        int sofar = session.getAttachment(RECIPIENTS, ProtocolSession.State.Transaction).orElse(0);
        int max = runtime.engine().maxRecipientsPerMessage();
        if (sofar >= max) {
            return denySoft("452", "4.5.3 Too many recipients for one message (at most " + max
                + "); send the others in another message");
        }
        Optional<HookResult> unreachable = unreachableDomain(recipient);
        if (unreachable.isPresent()) {
            return unreachable.get();
        }
        String login = session.getUsername().asString();
        Optional<HookResult> overLimit = limit(limits -> limits.refuseRecipient(login,
            session.getAttachment(USAGE, ProtocolSession.State.Transaction).orElseGet(() -> limits.usageOf(login)),
            sofar));
        if (overLimit.isPresent()) {
            return overLimit.get();
        }
        session.setAttachment(RECIPIENTS, sofar + 1, ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    /** A remote recipient domain that DNS says does not exist or takes no mail; a DNS problem lets it through (the queue retries). */
    private Optional<HookResult> unreachableDomain(MailAddress recipient) {
        try {
            if (localDomains.containsDomain(recipient.getDomain())) {
                return Optional.empty();
            }
        } catch (DomainListException e) {
            LOGGER.warn("cannot tell whether {} is local: {}", recipient.getDomain().asString(), e.getMessage());
            return Optional.empty();
        }
        String domain = recipient.getDomain().asString();
        if (routedToSmartHost(domain)) {
            // delivery never looks this domain up: its relay decides, and DNS may not know it (an internal domain)
            return Optional.empty();
        }
        MxResolution resolution = runtime.engine().mxResolver().resolve(domain);
        switch (resolution.kind()) {
            case NO_SUCH_DOMAIN:
                return Optional.of(deny("550", "5.1.2 Recipient domain " + domain + " does not exist or has no mail server"));
            case NULL_MX:
                return Optional.of(deny("556", "5.1.10 Recipient domain " + domain + " accepts no mail (null MX)"));
            default:
                return Optional.empty();
        }
    }

    private boolean routedToSmartHost(String domain) {
        try {
            return runtime.engine().transportRules().routeFor(domain).isSmartHost();
        } catch (IllegalArgumentException notADomainName) {
            return false;
        }
    }

    /**
     * The limits live in Cassandra: over a limit, 451 4.7.1; while Cassandra is away, 451 4.3.0 unless
     * submission.limitsWhenCassandraDown=allow lets the mail through unchecked.
     */
    private Optional<HookResult> limit(java.util.function.Function<SendingLimits, Optional<String>> check) {
        try {
            return check.apply(runtime.engine().sendingLimits())
                .map(refusal -> denySoft("451", "4.7.1 Sending limit: " + refusal));
        } catch (RuntimeException e) {
            LOGGER.warn("sending limits unavailable: {}", e.getMessage());
            return whenLimitsUnavailable(runtime.engine().submissionSettings().limitsWhenCassandraDown());
        }
    }

    /** What a command gets when the sending limits cannot be read. */
    static Optional<HookResult> whenLimitsUnavailable(SubmissionSettings.CassandraDownPolicy policy) {
        return policy == SubmissionSettings.CassandraDownPolicy.ALLOW ? Optional.empty()
            : Optional.of(denySoft("451", "4.3.0 Sending limits cannot be checked right now; try again later"));
    }

    private static HookResult denySoft(String code, String description) {
        return HookResult.builder().hookReturnCode(HookReturnCode.denySoft()).smtpReturnCode(code)
            .smtpDescription(description).build();
    }

    private List<String> grantedSenders(String login) {
        try {
            return runtime.engine().submissionUsers().find(login).map(SubmissionUser::allowedSenders).orElse(List.of());
        } catch (RuntimeException e) {
            // Cassandra away: the login's own address still works
            LOGGER.warn("submission logins unavailable, checking senders of {} against the login only: {}", login,
                e.getMessage());
            return List.of();
        }
    }

    private static HookResult deny(String code, String description) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(code)
            .smtpDescription(description).build();
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        mail.setAttribute(new Attribute(ROLE, AttributeValue.of(role.configName())));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(name.isEmpty()
            ? role.configName() + "-" + session.getLocalAddress().getPort() : name)));
        mail.setAttribute(new Attribute(PORT, AttributeValue.of(session.getLocalAddress().getPort())));
        mail.setAttribute(new Attribute(TLS, AttributeValue.of(session.isTLSStarted())));
        session.getSSLSession().ifPresent(tls -> {
            mail.setAttribute(new Attribute(TLS_PROTOCOL, AttributeValue.of(tls.getProtocol())));
            mail.setAttribute(new Attribute(TLS_CIPHER, AttributeValue.of(tls.getCipherSuite())));
        });
        if (role.isSubmission()) {
            Optional<String> foreign = foreignAuthor(session, mail);
            if (foreign.isPresent()) {
                return deny("550", "5.7.1 From: address <" + foreign.get() + "> is not allowed for login "
                    + session.getUsername().asString());
            }
            if (session.getUsername() != null) {
                // every From: passed the login's sender check: the signing policy may sign it
                mail.setAttribute(new Attribute(AUTHOR_CHECKED, AttributeValue.of(session.getUsername().asString())));
            }
            session.getAttachment(SubmissionAuth.MECHANISM, ProtocolSession.State.Connection).ifPresent(mechanism ->
                mail.setAttribute(new Attribute(AUTH_MECHANISM, AttributeValue.of(mechanism))));
            if (session.getUsername() != null) {
                String login = session.getUsername().asString();
                int recipients = mail.getRecipients().size();
                Optional<HookResult> unrecorded = limit(limits -> {
                    limits.recordAccepted(login, recipients);
                    return Optional.empty();
                });
                if (unrecorded.isPresent()) {
                    return unrecorded.get();
                }
            }
            completeHeaders(mail, session.getConfiguration().getHelloName());
        }
        return HookResult.DECLINED;
    }

    /** The first From: address the login may not use, if any. */
    private Optional<String> foreignAuthor(SMTPSession session, Mail mail) {
        if (session.getUsername() == null) {
            return Optional.empty();
        }
        try {
            String login = session.getUsername().asString();
            @SuppressWarnings("unchecked")
            List<String> granted = session.getAttachment(GRANTED, ProtocolSession.State.Transaction)
                .map(list -> (List<String>) list).orElseGet(() -> grantedSenders(login));
            Address[] authors = mail.getMessage().getFrom();
            for (Address author : authors == null ? new Address[0] : authors) {
                String address = author instanceof InternetAddress ? ((InternetAddress) author).getAddress() : author.toString();
                if (address == null || !runtime.engine().senderAlignment().allows(login, granted, address)) {
                    return Optional.of(String.valueOf(address));
                }
            }
            return Optional.empty();
        } catch (MessagingException e) {
            return Optional.of("unparsable");
        }
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
