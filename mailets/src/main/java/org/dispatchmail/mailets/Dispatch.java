package org.dispatchmail.mailets;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;

/**
 * Hands outbound mail to Dispatch's queue. The mail leaves James (GHOST) only once Cassandra has
 * acknowledged it, and its intake journal entry goes then; if that fails the mailet throws, James keeps
 * the mail (its error processor), and the node hands it over again once Cassandra answers.
 */
public class Dispatch extends GenericMailet {
    private final QueueHandOver queue;
    private final IntakeService intake;

    @Inject
    public Dispatch(QueueHandOver queue, IntakeService intake) {
        this.queue = queue;
        this.intake = intake;
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getRecipients().isEmpty()) {
            return;
        }
        try {
            queue.handOver(mail);
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

    @Override
    public String getMailetInfo() {
        return "Dispatch: queues outbound mail in Cassandra for delivery";
    }
}
