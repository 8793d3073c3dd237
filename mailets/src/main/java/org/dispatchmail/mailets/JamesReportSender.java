package org.dispatchmail.mailets;

import java.io.ByteArrayInputStream;
import java.util.Properties;
import java.util.function.Supplier;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.dispatchmail.core.DispatchEngine;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.dispatchmail.core.worker.ReportSender;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends Dispatch's delivery reports from the null sender through James's mailet container. */
final class JamesReportSender implements ReportSender {
    private static final AttributeName REPORT = AttributeName.of(SigningPolicy.REPORT_ATTRIBUTE);

    private static final Logger LOGGER = LoggerFactory.getLogger(JamesReportSender.class);

    private final MailetContext context;
    private final Supplier<DispatchEngine> engine;

    JamesReportSender(MailetContext context, Supplier<DispatchEngine> engine) {
        this.context = context;
        this.engine = engine;
    }

    @Override
    public void send(String recipient, byte[] message) throws Exception {
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message));
        Mail mail = MailImpl.builder().name(MailImpl.getId()).sender(MaybeSender.nullSender())
            .addRecipient(new MailAddress(recipient)).mimeMessage(mime)
            // the mark that lets DkimSign sign it: it is Dispatch's own message
            .addAttribute(new Attribute(REPORT, AttributeValue.of(true)))
            .build();
        // marked as the mailet container will mark it, so that a re-injected copy is routed the same way
        mail.setAttribute(Mail.SENT_BY_MAILET_ATTRIBUTE);
        journal(mail);
        context.sendMail(mail);
    }

    /**
     * The report enters James's spool like a received mail, so it is journaled like one: if this node dies
     * before the report is queued, another node sends it. Cassandra away: sent anyway, unjournaled.
     */
    private void journal(Mail mail) {
        try {
            DispatchEngine dispatch = engine.get();
            dispatch.intakeJournal().record(IntakeMail.entry(dispatch.nodeId(), mail, dispatch.clock().instant()));
        } catch (RuntimeException | MessagingException e) {
            LOGGER.warn("report mail={} not journaled: {}", mail.getName(), e.getMessage());
        }
    }
}
