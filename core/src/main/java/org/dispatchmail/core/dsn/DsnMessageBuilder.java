package org.dispatchmail.core.dsn;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.RecipientDsn;

/**
 * Builds RFC 3464 delivery status notifications: a multipart/report (RFC 6522) with a text/plain
 * explanation, the machine-readable message/delivery-status, and the original message (message/rfc822)
 * or its header (text/rfc822-headers). Everything this class writes is 7-bit, CRLF-terminated, in lines of
 * at most 78 characters where a space allows a fold and never more than 998; the original is returned
 * untouched (then labelled 8bit when it has 8-bit bytes).
 *
 * <p>The whole original goes back only in a failure report, when RET=FULL was given or RET was absent, and
 * only when it is no larger than the size cap; otherwise, and in delay and success reports, only its header.
 */
public final class DsnMessageBuilder {
    public static final long DEFAULT_MAX_RETURNED_SIZE = 10L * 1024 * 1024;

    private static final String CRLF = "\r\n";
    private static final int FOLD_AT = 78;
    private static final int MAX_LINE = 998;
    private static final String BOUNDARY_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final DateTimeFormatter DATE =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private final Clock clock;
    private final Random random;
    private final long maxReturnedSize;

    /**
     * @param clock the report's Date and time zone
     * @param random for the MIME boundary and Message-ID (a SecureRandom in production: unguessable boundaries)
     * @param maxReturnedSize the largest original returned whole; larger ones go back as headers only
     */
    public DsnMessageBuilder(Clock clock, Random random, long maxReturnedSize) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        if (maxReturnedSize < 0) {
            throw new IllegalArgumentException("maxReturnedSize cannot be negative");
        }
        this.maxReturnedSize = maxReturnedSize;
    }

    /**
     * Whether a report with this action is due for a recipient (RFC 3461 section 4.1 and 6.2): never to
     * the null sender (a report about a report would loop), failures and delays unless NOTIFY excluded
     * them, successes only when NOTIFY=SUCCESS asked.
     */
    public static boolean shouldReport(String envelopeSender, RecipientDsn dsn, DsnAction action) {
        if (envelopeSender == null || envelopeSender.isEmpty() || envelopeSender.equals("<>")) {
            return false;
        }
        switch (action) {
            case FAILED:
                return dsn.wantsFailure();
            case DELAYED:
                return dsn.wantsDelay();
            default:
                return dsn.wantsSuccess();
        }
    }

    public DsnMessage build(DsnReport report, MessageContent original) throws IOException {
        boolean failure = report.hasFailures();
        boolean fullWanted = failure && report.messageDsn().ret().orElse(DsnRet.FULL) == DsnRet.FULL;
        Original returned = readOriginal(original, fullWanted);
        String messageId = clock.millis() + "." + uniqueToken(20) + "@" + safe(report.reportingMta());

        byte[] text = ascii(humanText(report, returned));
        byte[] status = ascii(deliveryStatus(report));
        String boundary = boundary(text, status, returned.bytes);

        StringBuilder head = new StringBuilder();
        field(head, "From", "\"Mail Delivery System\" <MAILER-DAEMON@" + safe(report.reportingDomain()) + ">");
        field(head, "To", "<" + report.envelopeSender() + ">");
        field(head, "Subject", subject(report));
        field(head, "Date", DATE.format(clock.instant().atZone(clock.getZone())));
        field(head, "Message-ID", "<" + messageId + ">");
        field(head, "Auto-Submitted", "auto-replied");
        field(head, "MIME-Version", "1.0");
        field(head, "Content-Type", "multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"");
        if (returned.eightBit) {
            // a composite entity is labelled with the widest encoding inside it (RFC 2045 section 6.4)
            field(head, "Content-Transfer-Encoding", "8bit");
        }
        head.append(CRLF).append("This is a MIME-encapsulated message.").append(CRLF);

        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        boolean utf8Header = headBytes.length != head.length();
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length + status.length + returned.bytes.length + 2048);
        out.write(headBytes);
        write(out, CRLF + "--" + boundary + CRLF);
        write(out, "Content-Type: text/plain; charset=us-ascii" + CRLF + "Content-Transfer-Encoding: 7bit" + CRLF
            + "Content-Description: Notification" + CRLF + CRLF);
        out.write(text);
        write(out, CRLF + "--" + boundary + CRLF);
        write(out, "Content-Type: message/delivery-status" + CRLF + "Content-Description: Delivery report" + CRLF + CRLF);
        out.write(status);
        write(out, CRLF + "--" + boundary + CRLF);
        write(out, "Content-Type: " + (returned.whole ? "message/rfc822" : "text/rfc822-headers") + CRLF);
        write(out, "Content-Description: " + (returned.whole ? "Undelivered message" : "Message headers") + CRLF);
        if (returned.eightBit) {
            write(out, "Content-Transfer-Encoding: 8bit" + CRLF);
        }
        write(out, CRLF);
        out.write(returned.bytes);
        write(out, CRLF + "--" + boundary + "--" + CRLF);
        return new DsnMessage(out.toByteArray(), messageId, returned.eightBit || utf8Header, fullWanted && !returned.whole);
    }

    private static String subject(DsnReport report) {
        if (report.hasFailures()) {
            return "Undelivered Mail Returned to Sender";
        }
        if (report.hasDelays()) {
            return "Delayed Mail (still being retried)";
        }
        return "Successful Mail Delivery Report";
    }

    // ------------------------------------------------------------------ the original

    private static final class Original {
        final byte[] bytes;
        final boolean whole;
        final boolean eightBit;
        final long size;

        Original(byte[] bytes, boolean whole, long size) {
            this.bytes = bytes;
            this.whole = whole;
            this.size = size;
            boolean high = false;
            for (byte b : bytes) {
                if (b < 0) {
                    high = true;
                    break;
                }
            }
            this.eightBit = high;
        }
    }

    /** Reads the whole original when wanted and small enough, else its header section (up to the blank line). */
    private Original readOriginal(MessageContent content, boolean wholeWanted) throws IOException {
        long size = content.size();
        if (wholeWanted && size <= maxReturnedSize) {
            byte[] all = readAtMost(content, maxReturnedSize + 1);
            if (all.length <= maxReturnedSize) {
                return new Original(endWithCrlf(all), true, all.length);
            }
        }
        return new Original(endWithCrlf(readHeader(content)), false, size);
    }

    private static byte[] readAtMost(MessageContent content, long limit) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        try (InputStream in = content.open()) {
            long total = 0;
            int n;
            while (total < limit && (n = in.read(chunk, 0, (int) Math.min(chunk.length, limit - total))) > 0) {
                buffer.write(chunk, 0, n);
                total += n;
            }
        }
        return buffer.toByteArray();
    }

    /** The header lines, each with its line end, without the blank line; cut at a line end if over the cap. */
    private byte[] readHeader(MessageContent content) throws IOException {
        long cap = Math.max(maxReturnedSize, 64 * 1024);
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        boolean capped = false;
        try (InputStream in = new BufferedInputStream(content.open())) {
            boolean lineStart = true;
            boolean heldCr = false;
            int b;
            while ((b = in.read()) != -1) {
                if (lineStart && b == '\n') {
                    break; // blank line: CR LF (CR held back) or a bare LF
                }
                if (heldCr) {
                    header.write('\r');
                    heldCr = false;
                }
                if (lineStart && b == '\r') {
                    heldCr = true;
                    continue;
                }
                header.write(b);
                lineStart = b == '\n';
                if (header.size() >= cap) {
                    capped = true;
                    break;
                }
            }
        }
        byte[] bytes = header.toByteArray();
        if (!capped) {
            return bytes;
        }
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        return Arrays.copyOf(bytes, end);
    }

    private static byte[] endWithCrlf(byte[] bytes) {
        int n = bytes.length;
        if (n >= 2 && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
            return bytes;
        }
        if (n == 0) {
            return bytes;
        }
        byte[] result = new byte[n + 2];
        System.arraycopy(bytes, 0, result, 0, n);
        result[n] = '\r';
        result[n + 1] = '\n';
        return result;
    }

    // ------------------------------------------------------------------ text/plain

    private String humanText(DsnReport report, Original returned) {
        List<String> paragraphs = new ArrayList<>();
        paragraphs.add("This is the mail system at " + report.reportingMta() + ".");
        if (report.hasFailures()) {
            paragraphs.add("Your message could not be delivered to one or more recipients. It has been returned"
                + " to you with this report; the reasons are below.");
        } else if (report.hasDelays()) {
            paragraphs.add("Your message has not been delivered yet to one or more recipients. The mail system"
                + " is still trying; you do not need to send it again. You will be told if it finally fails.");
        } else {
            paragraphs.add("Your message was delivered as you asked to be told.");
        }
        for (DsnRecipient r : report.recipients()) {
            paragraphs.add(recipientParagraph(r));
        }
        if (returned.whole) {
            paragraphs.add("The original message is attached.");
        } else if (report.hasFailures() && report.messageDsn().ret().orElse(DsnRet.FULL) == DsnRet.FULL) {
            paragraphs.add("The original message was " + returned.size + " bytes, too large to return whole;"
                + " its header is attached.");
        } else {
            paragraphs.add("The header of the original message is attached.");
        }
        StringBuilder text = new StringBuilder();
        for (String paragraph : paragraphs) {
            if (text.length() > 0) {
                text.append(CRLF);
            }
            for (String line : paragraph.split("\n", -1)) {
                wrap(text, line);
            }
        }
        return text.toString();
    }

    private String recipientParagraph(DsnRecipient r) {
        StringBuilder p = new StringBuilder("<").append(safe(r.recipient())).append(">: ");
        switch (r.action()) {
            case FAILED:
                p.append("delivery failed, for good").append(r.status().startsWith("4.")
                    ? " (the mail system tried until the message was too old)." : ".");
                break;
            case DELAYED:
                p.append("not delivered yet.");
                r.willRetryUntil().ifPresent(until ->
                    p.append(" The mail system will keep trying until ").append(date(until)).append('.'));
                break;
            case DELIVERED:
                p.append("delivered").append(r.remoteMta().map(h -> " to " + safe(h)).orElse("")).append('.');
                break;
            case RELAYED:
                p.append("relayed").append(r.remoteMta().map(h -> " to " + safe(h)).orElse(""))
                    .append(", which sends no further reports.");
                break;
            default:
                p.append("delivered to the members of a list or alias.");
                break;
        }
        if (r.diagnostic().isPresent()) {
            p.append("\n    ").append(r.remoteMta().map(h -> "The mail server " + safe(h)).orElse("The mail server"))
                .append(" said: ").append(safe(r.diagnostic().get()));
        }
        r.explanation().ifPresent(e -> p.append("\n    ").append(safe(e)));
        p.append("\n    (status ").append(r.status()).append(", ").append(statusPhrase(r.status()))
            .append("; last attempt ").append(date(r.lastAttempt())).append(')');
        return p.toString();
    }

    /** A few words on the RFC 3463 subject and detail, for people who do not read status codes. */
    private static String statusPhrase(String status) {
        String detail = status.substring(status.indexOf('.') + 1);
        switch (detail) {
            case "1.1":
                return "no such mailbox";
            case "1.2":
                return "no such domain";
            case "1.10":
                return "the domain accepts no mail";
            case "2.1":
                return "mailbox disabled";
            case "2.2":
                return "mailbox full";
            case "3.4":
            case "2.3":
                return "message too big";
            case "4.1":
                return "no answer from the mail server";
            case "4.2":
                return "connection dropped";
            case "4.3":
                return "DNS lookup failed";
            case "4.7":
                return "message too old";
            case "7.1":
                return status.startsWith("5") ? "refused by policy" : "deferred by policy";
            default:
                break;
        }
        switch (detail.substring(0, detail.indexOf('.'))) {
            case "0":
                return status.startsWith("2") ? "success" : "other or undefined";
            case "1":
                return "address problem";
            case "2":
                return "mailbox problem";
            case "3":
                return "mail system problem";
            case "4":
                return "network or routing problem";
            case "5":
                return "mail protocol problem";
            case "6":
                return "message content problem";
            case "7":
                return "security or policy";
            default:
                return "other";
        }
    }

    // ------------------------------------------------------------------ message/delivery-status

    private String deliveryStatus(DsnReport report) {
        StringBuilder s = new StringBuilder();
        report.messageDsn().envelopeId().ifPresent(id -> field(s, "Original-Envelope-Id", xtext(id)));
        field(s, "Reporting-MTA", "dns; " + safe(report.reportingMta()));
        field(s, "Arrival-Date", date(report.arrivalDate()));
        for (DsnRecipient r : report.recipients()) {
            s.append(CRLF);
            r.dsn().originalRecipient().ifPresent(o -> field(s, "Original-Recipient", typedAddress(o)));
            field(s, "Final-Recipient", "rfc822; " + xtext(r.recipient()));
            field(s, "Action", r.action().keyword());
            field(s, "Status", r.status());
            r.remoteMta().ifPresent(h -> field(s, "Remote-MTA", "dns; " + safe(h)));
            r.diagnostic().ifPresent(d -> field(s, "Diagnostic-Code", "smtp; " + safe(d)));
            field(s, "Last-Attempt-Date", date(r.lastAttempt()));
            r.willRetryUntil().ifPresent(u -> field(s, "Will-Retry-Until", date(u)));
        }
        return s.toString();
    }

    /** ORCPT as stored ("rfc822;addr"): the type, then the address, kept to printable ASCII. */
    private static String typedAddress(String orcpt) {
        int semicolon = orcpt.indexOf(';');
        if (semicolon < 0) {
            return "rfc822; " + xtext(orcpt);
        }
        return safe(orcpt.substring(0, semicolon).trim()) + "; " + xtext(orcpt.substring(semicolon + 1).trim());
    }

    /** Printable ASCII kept; '+', '=', controls, spaces and 8-bit characters as xtext "+HH" (RFC 3461 section 4). */
    static String xtext(String value) {
        StringBuilder s = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x21 && c <= 0x7e && c != '+' && c != '=') {
                s.append((char) c);
            } else {
                s.append('+').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return s.toString();
    }

    /** One line of printable ASCII: line breaks become spaces, other controls and 8-bit characters '?'. */
    static String safe(String value) {
        StringBuilder s = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\t') {
                s.append(' ');
            } else if (c < 0x20 || c > 0x7e) {
                s.append('?');
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ lines

    private String date(Instant instant) {
        return DATE.format(instant.atZone(clock.getZone()));
    }

    /** "Name: value" folded at spaces before column 78 where possible; tokens cut so no line passes 998. */
    private static void field(StringBuilder out, String name, String value) {
        String line = name + ": " + value;
        String[] words = line.split(" ", -1);
        int column = 0;
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            if (i > 0) {
                if (column + 1 + word.length() > FOLD_AT && column > 1) {
                    out.append(CRLF);
                    column = 0;
                }
                out.append(' ');
                column++;
            }
            while (column + word.length() > MAX_LINE) {
                int room = MAX_LINE - column;
                out.append(word, 0, room).append(CRLF).append(' ');
                word = word.substring(room);
                column = 1;
            }
            out.append(word);
            column += word.length();
        }
        out.append(CRLF);
    }

    /** Body text wrapped at spaces before column 76, continuation lines indented like the first. */
    private static void wrap(StringBuilder out, String line) {
        String indent = line.startsWith("    ") ? "    " : "";
        String[] words = line.trim().split(" ");
        int column = 0;
        out.append(indent);
        column += indent.length();
        boolean first = true;
        for (String word : words) {
            if (!first && column + 1 + word.length() > 76) {
                out.append(CRLF).append(indent);
                column = indent.length();
            } else if (!first) {
                out.append(' ');
                column++;
            }
            while (column + word.length() > MAX_LINE) {
                int room = MAX_LINE - column;
                out.append(word, 0, room).append(CRLF).append(indent);
                word = word.substring(room);
                column = indent.length();
            }
            out.append(word);
            column += word.length();
            first = false;
        }
        out.append(CRLF);
    }

    // ------------------------------------------------------------------ boundary

    /** A random boundary, drawn again in the (unlikely) case that any part contains it. */
    private String boundary(byte[]... parts) {
        while (true) {
            String candidate = "=_report_" + uniqueToken(28);
            byte[] needle = candidate.getBytes(StandardCharsets.US_ASCII);
            boolean clash = false;
            for (byte[] part : parts) {
                if (contains(part, needle)) {
                    clash = true;
                    break;
                }
            }
            if (!clash) {
                return candidate;
            }
        }
    }

    private String uniqueToken(int length) {
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(BOUNDARY_CHARS.charAt(random.nextInt(BOUNDARY_CHARS.length())));
        }
        return s.toString();
    }

    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void write(ByteArrayOutputStream out, String text) {
        out.write(ascii(text), 0, text.length());
    }

}
