package org.dispatchmail.core.worker;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import javax.mail.BodyPart;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetHeaders;
import javax.mail.internet.MailDateFormat;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

/** A delivery status notification read back with javax.mail, an independent MIME parser. */
public final class ParsedReport {
    private static final Session SESSION = Session.getInstance(new Properties());

    private final MimeMessage message;
    private final MimeMultipart parts;
    private final List<InternetHeaders> statusGroups;

    private ParsedReport(MimeMessage message, MimeMultipart parts, List<InternetHeaders> statusGroups) {
        this.message = message;
        this.parts = parts;
        this.statusGroups = statusGroups;
    }

    public static ParsedReport parse(byte[] bytes) throws Exception {
        MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(bytes));
        ContentType type = new ContentType(message.getContentType());
        if (!type.getBaseType().equalsIgnoreCase("multipart/report")
            || !"delivery-status".equalsIgnoreCase(type.getParameter("report-type"))) {
            throw new AssertionError("not a delivery status notification: " + message.getContentType());
        }
        MimeMultipart parts = new MimeMultipart(new ByteArrayDataSource(message.getRawInputStream(),
            message.getContentType()));
        BodyPart status = parts.getBodyPart(1);
        if (!new ContentType(status.getContentType()).getBaseType().equalsIgnoreCase("message/delivery-status")) {
            throw new AssertionError("second part is " + status.getContentType());
        }
        List<InternetHeaders> groups = new ArrayList<>();
        byte[] raw;
        try (InputStream in = ((MimeBodyPart) status).getRawInputStream()) {
            raw = in.readAllBytes();
        }
        ByteArrayInputStream in = new ByteArrayInputStream(raw);
        while (in.available() > 0) {
            InternetHeaders group = new InternetHeaders(in);
            if (group.getAllHeaderLines().hasMoreElements()) {
                groups.add(group);
            }
        }
        return new ParsedReport(message, parts, groups);
    }

    public String header(String name) throws Exception {
        String value = message.getHeader(name, null);
        return value == null ? null : unfold(value);
    }

    public int partCount() throws Exception {
        return parts.getCount();
    }

    /** The content type of part {@code index} (0: the text, 1: the status, 2: the original or its header). */
    public String partType(int index) throws Exception {
        return new ContentType(parts.getBodyPart(index).getContentType()).getBaseType();
    }

    /** A per-message field of the delivery-status part (Reporting-MTA, Arrival-Date, ...). */
    public String messageField(String name) {
        return field(statusGroups.get(0), name);
    }

    /** How many recipients the report is about. */
    public int recipientCount() {
        return statusGroups.size() - 1;
    }

    /** A field of the group whose Final-Recipient names this address. */
    public String recipientField(String recipient, String name) {
        for (InternetHeaders group : statusGroups.subList(1, statusGroups.size())) {
            String finalRecipient = field(group, "Final-Recipient");
            if (finalRecipient != null && finalRecipient.equalsIgnoreCase("rfc822; " + recipient)) {
                return field(group, name);
            }
        }
        throw new AssertionError("no group for " + recipient + " in the report");
    }

    /** The Final-Recipient addresses in report order. */
    public List<String> finalRecipients() {
        List<String> addresses = new ArrayList<>();
        for (InternetHeaders group : statusGroups.subList(1, statusGroups.size())) {
            String value = field(group, "Final-Recipient");
            addresses.add(value.substring(value.indexOf(';') + 1).trim());
        }
        return addresses;
    }

    public static Instant date(String text) throws Exception {
        return new MailDateFormat().parse(text).toInstant();
    }

    private static String field(InternetHeaders group, String name) {
        String[] values = group.getHeader(name);
        return values == null ? null : unfold(values[0]).trim();
    }

    private static String unfold(String value) {
        return value.replaceAll("\r?\n(?=[ \t])", "");
    }
}
