package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.NewMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands outbound mail to Dispatch's queue. The mail leaves James (GHOST) only once Cassandra has
 * acknowledged it, and its intake journal entry goes then; if that fails the mailet throws, James keeps
 * the mail (its error processor), and the node hands it over again once Cassandra answers.
 */
public class Dispatch extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(Dispatch.class);

    private final DispatchRuntime runtime;
    private final IntakeService intake;

    @Inject
    public Dispatch(DispatchRuntime runtime, IntakeService intake) {
        this.runtime = runtime;
        this.intake = intake;
    }

    @Override
    public void init() {
        runtime.engine();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getRecipients().isEmpty()) {
            return;
        }
        try {
            handOver(runtime, mail);
        } catch (CassandraUnavailableException e) {
            // kept in the error repository, and handed over from there once Cassandra answers again
            mail.setAttribute(new Attribute(IntakeService.QUEUE_LATER, AttributeValue.of(true)));
            throw new MessagingException("Dispatch could not queue " + mail.getName() + "; James keeps it: "
                + e.getMessage(), e);
        }
        // queued: the intake journal need not keep it any more
        intake.settled(mail);
        mail.setState(Mail.GHOST);
    }

    /** Queues the mail in Cassandra; returns once the queue has it (throws otherwise). */
    static UUID handOver(DispatchRuntime runtime, Mail mail) throws MessagingException {
        Optional<DsnParameters> dsn = mail.dsnParameters();
        List<String> recipients = new ArrayList<>();
        List<RecipientDsn> recipientDsn = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            recipients.add(recipient.asString());
            recipientDsn.add(dsn.map(d -> d.getRcptParameters().get(recipient)).map(Dispatch::recipientDsn)
                .orElse(RecipientDsn.NONE));
        }
        String sender = mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse("");
        NewMessage message = new NewMessage(mail.getName(), sender, recipients, MailContent.of(mail),
            dsn.map(Dispatch::messageDsn).orElse(MessageDsn.NONE), recipientDsn);
        UUID id = runtime.engine().enqueue(message);
        LOGGER.info("queued mail={} queue={} from=<{}> recipients={} size={}", mail.getName(), id, sender,
            recipients.size(), message.content().size());
        return id;
    }

    private static MessageDsn messageDsn(DsnParameters dsn) {
        return new MessageDsn(dsn.getRetParameter().map(ret -> DsnRet.valueOf(ret.name())),
            dsn.getEnvIdParameter().map(DsnParameters.EnvId::asString));
    }

    private static RecipientDsn recipientDsn(DsnParameters.RecipientDsnParameters parameters) {
        Set<DsnNotify> notify = EnumSet.noneOf(DsnNotify.class);
        parameters.getNotifyParameter().ifPresent(set -> set.forEach(n -> notify.add(DsnNotify.valueOf(n.name()))));
        return new RecipientDsn(notify, parameters.getOrcptParameter().map(a -> "rfc822;" + a.asString()));
    }

    @Override
    public String getMailetInfo() {
        return "Dispatch: queues outbound mail in Cassandra for delivery";
    }
}
