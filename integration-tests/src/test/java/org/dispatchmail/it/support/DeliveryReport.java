package org.dispatchmail.it.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;

/**
 * A delivery status notification (RFC 3464) as a test peer received it: smtp-sink's dump (its
 * X-Mail-Args / X-Rcpt-Args envelope lines, then the message) parsed with JavaMail, and the fields
 * of its message/delivery-status part, per message and per recipient.
 */
public final class DeliveryReport {
    private static final Pattern MAIL_ARGS = Pattern.compile("(?m)^X-Mail-Args: <([^>]*)>");
    private static final Pattern RCPT_ARGS = Pattern.compile("(?m)^X-Rcpt-Args: <([^>]*)>");
    private static final Session SESSION = Session.getInstance(new Properties());

    private final String envelopeSender;
    private final List<String> envelopeRecipients;
    private final MimeMessage message;
    private final ContentType contentType;
    private final String notification;
    private final Map<String, String> messageFields;
    private final List<Map<String, String>> recipientFields;
    private final ContentType returnedType;
    private final byte[] returned;

    private DeliveryReport(String envelopeSender, List<String> envelopeRecipients, MimeMessage message,
                           ContentType contentType, String notification, Map<String, String> messageFields,
                           List<Map<String, String>> recipientFields, ContentType returnedType, byte[] returned) {
        this.envelopeSender = envelopeSender;
        this.envelopeRecipients = envelopeRecipients;
        this.message = message;
        this.contentType = contentType;
        this.notification = notification;
        this.messageFields = messageFields;
        this.recipientFields = recipientFields;
        this.returnedType = returnedType;
        this.returned = returned;
    }

    /** Parses one dump; fails unless it is a multipart/report of three parts with a message/delivery-status second. */
    public static DeliveryReport parse(String dump) throws MessagingException, IOException {
        Matcher sender = MAIL_ARGS.matcher(dump);
        if (!sender.find()) {
            throw new IllegalArgumentException("no X-Mail-Args line in the dump:\n" + dump);
        }
        List<String> recipients = new ArrayList<>();
        Matcher rcpt = RCPT_ARGS.matcher(dump);
        while (rcpt.find()) {
            recipients.add(rcpt.group(1));
        }
        MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(dump.getBytes(StandardCharsets.UTF_8)));
        ContentType type = new ContentType(message.getContentType());
        if (!type.match("multipart/report")) {
            throw new IllegalArgumentException("not a multipart/report but " + type + ":\n" + dump);
        }
        MimeMultipart parts = new MimeMultipart(message.getDataHandler().getDataSource());
        if (parts.getCount() != 3) {
            throw new IllegalArgumentException("a report has 3 parts, this one " + parts.getCount() + ":\n" + dump);
        }
        String notification = text(parts.getBodyPart(0));
        BodyPart status = parts.getBodyPart(1);
        if (!new ContentType(status.getContentType()).match("message/delivery-status")) {
            throw new IllegalArgumentException("second part is " + status.getContentType() + ":\n" + dump);
        }
        List<Map<String, String>> groups = fieldGroups(text(status));
        if (groups.size() < 2) {
            throw new IllegalArgumentException("no per-recipient fields in the delivery status:\n" + dump);
        }
        BodyPart original = parts.getBodyPart(2);
        return new DeliveryReport(sender.group(1), recipients, message, type, notification, groups.get(0),
            groups.subList(1, groups.size()), new ContentType(original.getContentType()),
            ((MimeBodyPart) original).getRawInputStream().readAllBytes());
    }

    /** Whether a dump holds a delivery report at all (its top-level type). */
    public static boolean isReport(String dump) {
        return Pattern.compile("(?mi)^Content-Type:\\s*multipart/report").matcher(dump).find();
    }

    /** The MAIL FROM of the report's transaction: empty for the null sender. */
    public String envelopeSender() {
        return envelopeSender;
    }

    public List<String> envelopeRecipients() {
        return envelopeRecipients;
    }

    public MimeMessage message() {
        return message;
    }

    public ContentType contentType() {
        return contentType;
    }

    /** The first, human-readable part. */
    public String notification() {
        return notification;
    }

    /** Per-message fields (Reporting-MTA, Arrival-Date, Original-Envelope-Id), names in lower case. */
    public Map<String, String> messageFields() {
        return messageFields;
    }

    /** One map of fields per recipient block, names in lower case. */
    public List<Map<String, String>> recipientFields() {
        return recipientFields;
    }

    /** The block whose Final-Recipient names this address. */
    public Map<String, String> recipient(String address) {
        for (Map<String, String> fields : recipientFields) {
            String finalRecipient = fields.getOrDefault("final-recipient", "");
            if (finalRecipient.replaceAll("\\s", "").equalsIgnoreCase("rfc822;" + address)) {
                return fields;
            }
        }
        throw new IllegalArgumentException("no Final-Recipient " + address + " in " + recipientFields);
    }

    /** Content type of the third part: message/rfc822 (whole original) or text/rfc822-headers. */
    public ContentType returnedType() {
        return returnedType;
    }

    /** The third part as sent. */
    public String returnedText() {
        return new String(returned, StandardCharsets.UTF_8);
    }

    /** The returned original (or its header section) parsed as a message. */
    public MimeMessage returnedMessage() throws MessagingException {
        return new MimeMessage(SESSION, new ByteArrayInputStream(returned));
    }

    public Optional<String> returnedSubject() throws MessagingException {
        return Optional.ofNullable(returnedMessage().getSubject());
    }

    private static String text(BodyPart part) throws MessagingException, IOException {
        try (InputStream in = part.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** RFC 3464 fields: groups separated by blank lines, continuation lines unfolded. */
    static List<Map<String, String>> fieldGroups(String text) {
        List<Map<String, String>> groups = new ArrayList<>();
        Map<String, String> current = new LinkedHashMap<>();
        String lastName = null;
        for (String line : text.split("\r?\n", -1)) {
            if (line.isBlank()) {
                if (!current.isEmpty()) {
                    groups.add(current);
                    current = new LinkedHashMap<>();
                }
                lastName = null;
            } else if ((line.startsWith(" ") || line.startsWith("\t")) && lastName != null) {
                current.put(lastName, current.get(lastName) + " " + line.trim());
            } else {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    throw new IllegalArgumentException("not a field: " + line);
                }
                lastName = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                current.put(lastName, line.substring(colon + 1).trim());
            }
        }
        if (!current.isEmpty()) {
            groups.add(current);
        }
        return groups;
    }
}
