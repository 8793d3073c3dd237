package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.List;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends mail for a valid SRS address of srs.domain on to the address it stands for (mailetcontainer.xml, first in
 * the "transport" processor): the recipients that check are taken out of the mail and re-sent, as James's own
 * forwards are, to the original sender (or, for SRS1, to the first forwarder's SRS0 address). That copy goes
 * through "transport" again, so it is delivered locally or leaves by "outbound" like any forwarded mail.
 *
 * <p>Only an address that checks is ever sent on: the MX port already refuses the others at RCPT
 * (org.dispatchmail.smtp.SrsRecipients); one that arrives another way, or whose key was retired meanwhile, stays in
 * the mail and ends where any undeliverable local address ends, never at an address taken from it.
 */
public class SrsReverse extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(SrsReverse.class);

    private final SenderRewriting rewriting;

    @Inject
    public SrsReverse(SenderRewriting rewriting) {
        this.rewriting = rewriting;
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (!rewriting.enabled()) {
            return;
        }
        List<MailAddress> originals = new ArrayList<>();
        List<MailAddress> others = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            SrsCheck check = check(rewriting, mail, recipient);
            if (check.isValid()) {
                originals.add(parse(check.original().get(), recipient));
            } else {
                others.add(recipient);
                if (check.kind() != SrsCheck.Kind.NOT_SRS) {
                    LOGGER.warn("srs mail={} to=<{}> not sent on: {}", mail.getName(), recipient.asString(), check.reason());
                }
            }
        }
        if (originals.isEmpty()) {
            return;
        }
        Mail copy = mail.duplicate();
        try {
            copy.setRecipients(originals);
            getMailetContext().sendMail(copy);
            LOGGER.info("srs mail={} from=<{}> sent on to {} as {}", mail.getName(),
                mail.getMaybeSender().asString(), originals, copy.getName());
        } finally {
            LifecycleUtil.dispose(copy);
        }
        if (others.isEmpty()) {
            mail.setState(Mail.GHOST);
        } else {
            mail.setRecipients(others);
        }
    }

    private static SrsCheck check(SenderRewriting srs, Mail mail, MailAddress recipient) throws MessagingException {
        try {
            return srs.reverse(recipient.asString());
        } catch (CassandraUnavailableException e) {
            throw new MessagingException("SRS key unreadable, mail " + mail.getName() + " is kept: " + e.getMessage(), e);
        }
    }

    private static MailAddress parse(String original, MailAddress recipient) throws MessagingException {
        try {
            return new MailAddress(original);
        } catch (AddressException e) {
            // The hash vouches for what we wrote, so this is an original sender James itself cannot parse.
            throw new MessagingException("SRS address " + recipient.asString() + " stands for '" + original
                + "', which is not an address: " + e.getMessage(), e);
        }
    }

    @Override
    public String getMailetInfo() {
        return "sends mail for valid SRS addresses on to the original sender";
    }
}
