package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.NewMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a James mail in Dispatch's queue, envelope and DSN parameters included: what the Dispatch mailet does with
 * outbound mail, and what the intake service does with mail the error repository kept while Cassandra was away.
 */
public class QueueHandOver {
    /** Named after the mailet: its "queued" line is the one an admin looks for. */
    private static final Logger LOGGER = LoggerFactory.getLogger(Dispatch.class);

    private final Function<NewMessage, UUID> enqueue;

    @Inject
    public QueueHandOver(DispatchEngine engine) {
        this(engine::enqueue);
    }

    /** {@code enqueue} returns once the message is durable, and throws otherwise. */
    QueueHandOver(Function<NewMessage, UUID> enqueue) {
        this.enqueue = enqueue;
    }

    /** Queues the mail in Cassandra; returns once the queue has it (throws otherwise). */
    UUID handOver(Mail mail) throws MessagingException {
        NewMessage message = message(mail);
        UUID id = enqueue.apply(message);
        LOGGER.info("queued mail={} queue={} from=<{}> recipients={} size={}", mail.getName(), id, message.sender(),
            message.recipients().size(), message.content().size());
        return id;
    }

    static NewMessage message(Mail mail) throws MessagingException {
        Optional<DsnParameters> dsn = mail.dsnParameters();
        List<String> recipients = new ArrayList<>();
        List<RecipientDsn> recipientDsn = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            recipients.add(recipient.asString());
            recipientDsn.add(dsn.map(d -> d.getRcptParameters().get(recipient)).map(QueueHandOver::recipientDsn)
                .orElse(RecipientDsn.NONE));
        }
        String sender = mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse("");
        return new NewMessage(mail.getName(), sender, recipients, MailContent.of(mail),
            dsn.map(QueueHandOver::messageDsn).orElse(MessageDsn.NONE), recipientDsn);
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
}
