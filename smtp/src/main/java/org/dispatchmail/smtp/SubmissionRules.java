package org.dispatchmail.smtp;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

import javax.inject.Inject;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.dispatchmail.core.routing.MxResolution;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.TransportRules;
import org.dispatchmail.core.submission.SenderAlignment;
import org.dispatchmail.core.submission.SendingLimits;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.submission.SubmissionUser;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a submission listener requires of a mail ({@link ListenerPolicy} applies it on the submission roles):
 * <ul>
 * <li>MAIL FROM needs AUTH first (530 5.7.0), and an address the login may use (553 5.7.1); so must every From:
 * address of the message (550 5.7.1);</li>
 * <li>a recipient domain that does not exist (550 5.1.2) or takes no mail (null MX, 556 5.1.10) is refused at
 * RCPT, rather than bounced later;</li>
 * <li>per-login limits: messages and recipients per hour across nodes (451 4.7.1), recipients per message
 * (452 4.5.3); limits that cannot be read (Cassandra away) refuse with 451 4.3.0 unless
 * submission.limitsWhenCassandraDown=allow;</li>
 * <li>mail without Date: or Message-ID: gets one (RFC 6409 section 8).</li>
 * </ul>
 */
public class SubmissionRules {
    private static final Logger LOGGER = LoggerFactory.getLogger(SubmissionRules.class);
    static final AttributeName AUTHOR_CHECKED = AttributeName.of(SigningPolicy.AUTHOR_CHECKED_ATTRIBUTE);
    private static final ProtocolSession.AttachmentKey<Integer> RECIPIENTS =
        ProtocolSession.AttachmentKey.of("dispatch.transaction.recipients", Integer.class);
    /** The login's last hour of sending, read once per transaction (MAIL FROM and every RCPT check it). */
    private static final ProtocolSession.AttachmentKey<SendingLimits.HourlyUsage> USAGE =
        ProtocolSession.AttachmentKey.of("dispatch.transaction.usage", SendingLimits.HourlyUsage.class);
    /**
     * How long a session keeps its login's granted senders: every MAIL FROM and From: check in that time shares one
     * read (a client sending many messages over one session costs one Cassandra read, not one per message), and a
     * grant an admin withdraws stops working in open sessions within this time.
     */
    static final Duration GRANTS_MAX_AGE = Duration.ofMinutes(1);
    private static final ProtocolSession.AttachmentKey<SessionGrants> GRANTS =
        ProtocolSession.AttachmentKey.of("dispatch.session.grantedSenders", SessionGrants.class);
    private static final DateTimeFormatter RFC5322_DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US);

    private final SubmissionUsers users;
    private final SenderAlignment senderAlignment;
    private final SendingLimits sendingLimits;
    private final SubmissionSettings settings;
    private final MxResolver mxResolver;
    private final TransportRules transportRules;
    private final DomainList localDomains;
    private final Clock clock;

    @Inject
    public SubmissionRules(SubmissionUsers users, SenderAlignment senderAlignment, SendingLimits sendingLimits,
                           SubmissionSettings settings, MxResolver mxResolver, TransportRules transportRules,
                           DomainList localDomains) {
        this(users, senderAlignment, sendingLimits, settings, mxResolver, transportRules, localDomains,
            Clock.systemUTC());
    }

    /** @param clock ages the granted senders a session keeps */
    SubmissionRules(SubmissionUsers users, SenderAlignment senderAlignment, SendingLimits sendingLimits,
                    SubmissionSettings settings, MxResolver mxResolver, TransportRules transportRules,
                    DomainList localDomains, Clock clock) {
        this.clock = clock;
        this.users = users;
        this.senderAlignment = senderAlignment;
        this.sendingLimits = sendingLimits;
        this.settings = settings;
        this.mxResolver = mxResolver;
        this.transportRules = transportRules;
        this.localDomains = localDomains;
    }

    HookResult mailFrom(SMTPSession session, MaybeSender sender) {
        if (session.getUsername() == null) {
            return deny("530", "5.7.0 Authentication required");
        }
        String login = session.getUsername().asString();
        List<String> granted = grantedSenders(session, login);
        if (!sender.isNullSender() && !senderAlignment.allows(login, granted, sender.asString())) {
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

    HookResult rcptTo(SMTPSession session, MailAddress recipient) {
        if (session.getUsername() == null) {
            return HookResult.DECLINED;
        }
        int sofar = session.getAttachment(RECIPIENTS, ProtocolSession.State.Transaction).orElse(0);
        int max = settings.maxRecipientsPerMessage();
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

    /** The message: its From: addresses, the login's hourly count, and the headers a submission server adds. */
    HookResult message(SMTPSession session, Mail mail) {
        Optional<String> foreign = foreignAuthor(session, mail);
        if (foreign.isPresent()) {
            return deny("550", "5.7.1 From: address <" + foreign.get() + "> is not allowed for login "
                + session.getUsername().asString());
        }
        if (session.getUsername() != null) {
            // every From: passed the login's sender check: the signing policy may sign it
            mail.setAttribute(new Attribute(AUTHOR_CHECKED, AttributeValue.of(session.getUsername().asString())));
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
        MxResolution resolution = mxResolver.resolve(domain);
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
            return transportRules.routeFor(domain).isSmartHost();
        } catch (IllegalArgumentException notADomainName) {
            return false;
        }
    }

    /**
     * The limits live in Cassandra: over a limit, 451 4.7.1; while Cassandra is away, 451 4.3.0 unless
     * submission.limitsWhenCassandraDown=allow lets the mail through unchecked.
     */
    private Optional<HookResult> limit(Function<SendingLimits, Optional<String>> check) {
        try {
            return check.apply(sendingLimits).map(refusal -> denySoft("451", "4.7.1 Sending limit: " + refusal));
        } catch (RuntimeException e) {
            LOGGER.warn("sending limits unavailable: {}", e.getMessage());
            return whenLimitsUnavailable(settings.limitsWhenCassandraDown());
        }
    }

    /** What a command gets when the sending limits cannot be read. */
    static Optional<HookResult> whenLimitsUnavailable(SubmissionSettings.CassandraDownPolicy policy) {
        return policy == SubmissionSettings.CassandraDownPolicy.ALLOW ? Optional.empty()
            : Optional.of(denySoft("451", "4.3.0 Sending limits cannot be checked right now; try again later"));
    }

    /** The login's granted senders, as this session last read them if that is less than GRANTS_MAX_AGE ago. */
    private List<String> grantedSenders(SMTPSession session, String login) {
        Instant now = clock.instant();
        Optional<SessionGrants> kept = session.getAttachment(GRANTS, ProtocolSession.State.Connection)
            .filter(grants -> grants.login.equals(login) && now.isBefore(grants.readAt.plus(GRANTS_MAX_AGE)));
        if (kept.isPresent()) {
            return kept.get().senders;
        }
        try {
            List<String> senders = users.find(login).map(SubmissionUser::allowedSenders).orElse(List.of());
            session.setAttachment(GRANTS, new SessionGrants(login, senders, now), ProtocolSession.State.Connection);
            return senders;
        } catch (RuntimeException e) {
            // Cassandra away: the login's own address still works; nothing is kept, so the next command reads again
            LOGGER.warn("submission logins unavailable, checking senders of {} against the login only: {}", login,
                e.getMessage());
            return List.of();
        }
    }

    /** The first From: address the login may not use, if any. */
    private Optional<String> foreignAuthor(SMTPSession session, Mail mail) {
        if (session.getUsername() == null) {
            return Optional.empty();
        }
        try {
            String login = session.getUsername().asString();
            List<String> granted = grantedSenders(session, login);
            Address[] authors = mail.getMessage().getFrom();
            for (Address author : authors == null ? new Address[0] : authors) {
                String address = author instanceof InternetAddress ? ((InternetAddress) author).getAddress() : author.toString();
                if (address == null || !senderAlignment.allows(login, granted, address)) {
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

    static HookResult deny(String code, String description) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(code)
            .smtpDescription(description).build();
    }

    private static HookResult denySoft(String code, String description) {
        return HookResult.builder().hookReturnCode(HookReturnCode.denySoft()).smtpReturnCode(code)
            .smtpDescription(description).build();
    }

    /** A login's granted senders and when they were read. */
    private static final class SessionGrants {
        private final String login;
        private final List<String> senders;
        private final Instant readAt;

        SessionGrants(String login, List<String> senders, Instant readAt) {
            this.login = login;
            this.senders = List.copyOf(senders);
            this.readAt = readAt;
        }
    }
}
