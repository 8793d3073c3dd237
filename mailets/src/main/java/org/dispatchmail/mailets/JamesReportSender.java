package org.dispatchmail.mailets;

import java.io.ByteArrayInputStream;
import java.util.Properties;

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
import org.dispatchmail.core.signing.SigningPolicy;
import org.dispatchmail.core.worker.ReportSender;

/** Sends Dispatch's delivery reports from the null sender through James's mailet container. */
final class JamesReportSender implements ReportSender {
    private static final AttributeName REPORT = AttributeName.of(SigningPolicy.REPORT_ATTRIBUTE);

    private final MailetContext context;

    JamesReportSender(MailetContext context) {
        this.context = context;
    }

    @Override
    public void send(String recipient, byte[] message) throws Exception {
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message));
        Mail mail = MailImpl.builder().name(MailImpl.getId()).sender(MaybeSender.nullSender())
            .addRecipient(new MailAddress(recipient)).mimeMessage(mime)
            // the mark that lets DkimSign sign it: it is Dispatch's own message
            .addAttribute(new Attribute(REPORT, AttributeValue.of(true)))
            .build();
        context.sendMail(mail);
    }
}
