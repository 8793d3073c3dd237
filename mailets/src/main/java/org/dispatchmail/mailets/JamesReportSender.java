package org.dispatchmail.mailets;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.MailetContext;
import org.dispatchmail.core.worker.ReportSender;

/** Sends Dispatch's delivery reports from the null sender through James's mailet container. */
final class JamesReportSender implements ReportSender {
    private final MailetContext context;

    JamesReportSender(MailetContext context) {
        this.context = context;
    }

    @Override
    public void send(String recipient, byte[] message) throws Exception {
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message));
        context.sendMail(MailAddress.nullSender(), List.of(new MailAddress(recipient)), mime);
    }
}
