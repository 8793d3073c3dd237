package org.dispatchmail.mailets;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.srs.ForwardedSender;
import org.dispatchmail.core.srs.SenderRewriting;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives forwarded mail an SRS envelope sender in srs.domain (mailetcontainer.xml, "outbound" processor, before
 * Dispatch, matched by {@code org.dispatchmail.matchers.IsForwarded}), so the receiver checks SPF against this
 * cluster, and a bounce comes back here to be checked and sent on to the original sender. The null sender is
 * never rewritten; with srs.domain unset the mail keeps its sender.
 */
public class SrsForward extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(SrsForward.class);

    private final SenderRewriting rewriting;

    @Inject
    public SrsForward(SenderRewriting rewriting) {
        this.rewriting = rewriting;
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getMaybeSender().isNullSender()) {
            return;
        }
        String sender = mail.getMaybeSender().get().asString();
        ForwardedSender forwarded;
        try {
            forwarded = rewriting.forward(sender);
        } catch (CassandraUnavailableException e) {
            throw new MessagingException("SRS key unreadable, mail " + mail.getName() + " is kept: " + e.getMessage(), e);
        }
        if (forwarded.kind() == ForwardedSender.Kind.REWRITTEN) {
            if (!(mail instanceof MailImpl)) {
                throw new MessagingException("cannot change the envelope sender of " + mail.getClass().getName());
            }
            ((MailImpl) mail).setSender(new MailAddress(forwarded.address().get()));
            LOGGER.info("srs mail={} from=<{}> rewritten to <{}>", mail.getName(), sender, forwarded.address().get());
        } else if (forwarded.kind() != ForwardedSender.Kind.SRS_OFF) {
            LOGGER.debug("srs mail={} from=<{}> kept: {}", mail.getName(), sender, forwarded.kind());
        }
    }

    @Override
    public String getMailetInfo() {
        return "SRS envelope sender for forwarded mail";
    }
}
