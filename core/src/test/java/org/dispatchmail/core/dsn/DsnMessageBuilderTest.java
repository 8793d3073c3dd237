package org.dispatchmail.core.dsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.Set;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetHeaders;
import javax.mail.internet.MailDateFormat;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.AttemptStage;
import org.dispatchmail.core.delivery.FailureKind;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.junit.jupiter.api.Test;

class DsnMessageBuilderTest {
    private static final Instant NOW = Instant.parse("2024-03-04T12:30:00Z");
    private static final Instant ARRIVED = Instant.parse("2024-03-01T09:15:00Z");
    private static final Instant ATTEMPT = Instant.parse("2024-03-04T12:29:58Z");
    private static final Instant GIVE_UP = Instant.parse("2024-03-06T09:15:00Z");
    private static final Session SESSION = Session.getInstance(new Properties());

    private static final String HEADER = "Return-Path: <alice@example.com>\r\n"
        + "From: Alice <alice@example.com>\r\n"
        + "To: Bob <bob@example.net>, Carol <carol@example.org>\r\n"
        + "Subject: Quarterly figures\r\n"
        + "Message-ID: <q1@example.com>\r\n"
        + "Date: Fri, 1 Mar 2024 09:14:59 +0000\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=us-ascii\r\n";
    private static final String ORIGINAL = HEADER + "\r\nHello Bob,\r\n\r\nthe figures are attached.\r\n";

    private static DsnMessageBuilder builder(long cap) {
        return new DsnMessageBuilder(Clock.fixed(NOW, ZoneOffset.UTC), new Random(7), cap);
    }

    private static RecipientOutcome rcptOutcome(String rcpt, String line) {
        return RecipientOutcome.fromReply(rcpt, "mx.example.net", "192.0.2.25", AttemptStage.RCPT,
            SmtpReply.parse(List.of(line)));
    }

    private static DsnRecipient bobFailed(RecipientDsn dsn) {
        return DsnRecipient.fromOutcome(rcptOutcome("bob@example.net", "550 5.1.1 <bob@example.net>: user unknown"),
            dsn, DsnAction.FAILED, ATTEMPT, Optional.empty());
    }

    private static DsnRecipient carolDnsFailed() {
        RecipientOutcome outcome = RecipientOutcome.failure("carol@example.org", AttemptStage.DNS,
            FailureKind.NULL_MX, "example.org publishes a null MX: it accepts no mail");
        return DsnRecipient.fromOutcome(outcome, RecipientDsn.NONE, DsnAction.FAILED, ATTEMPT, Optional.empty());
    }

    private static DsnRecipient bobDelayed() {
        return DsnRecipient.fromOutcome(rcptOutcome("bob@example.net", "451 4.7.1 Greylisted, try again later"),
            RecipientDsn.NONE, DsnAction.DELAYED, ATTEMPT, Optional.of(GIVE_UP));
    }

    private static DsnReport report(MessageDsn messageDsn, DsnRecipient... recipients) {
        return new DsnReport("mta1.example.com", "example.com", "alice@example.com", messageDsn, ARRIVED,
            List.of(recipients));
    }

    private static MessageContent content(String text) {
        return MessageContent.ofBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    private static MimeMessage parse(DsnMessage dsn) throws MessagingException {
        return new MimeMessage(SESSION, new ByteArrayInputStream(dsn.bytes()));
    }

    private static MimeMultipart parts(MimeMessage message) throws MessagingException, IOException {
        return new MimeMultipart(new ByteArrayDataSource(message.getRawInputStream(), message.getContentType()));
    }

    private static byte[] rawBody(BodyPart part) throws MessagingException, IOException {
        try (InputStream in = ((javax.mail.internet.MimeBodyPart) part).getRawInputStream()) {
            return in.readAllBytes();
        }
    }

    /** The delivery-status body as header groups: the per-message fields, then one group per recipient. */
    private static List<InternetHeaders> statusGroups(BodyPart part) throws MessagingException, IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(rawBody(part));
        List<InternetHeaders> groups = new ArrayList<>();
        while (in.available() > 0) {
            InternetHeaders group = new InternetHeaders(in);
            if (group.getAllHeaderLines().hasMoreElements()) {
                groups.add(group);
            }
        }
        return groups;
    }

    private static String field(InternetHeaders group, String name) {
        String[] values = group.getHeader(name);
        return values == null ? null : MimeFolding.unfold(values[0]).trim();
    }

    private static Instant date(String text) throws Exception {
        return new MailDateFormat().parse(text).toInstant();
    }

    @Test
    void aFailureReportCarriesEveryFieldAndTheWholeOriginal() throws Exception {
        RecipientDsn orcpt = new RecipientDsn(EnumSet.of(DsnNotify.FAILURE), Optional.of("rfc822;Bob@Example.NET"));
        DsnReport report = report(new MessageDsn(Optional.empty(), Optional.of("QQ314159")), bobFailed(orcpt),
            carolDnsFailed());

        DsnMessage dsn = builder(DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE).build(report, content(ORIGINAL));
        MimeMessage message = parse(dsn);

        assertThat(message.getHeader("From", null)).isEqualTo("\"Mail Delivery System\" <MAILER-DAEMON@example.com>");
        assertThat(message.getHeader("To", null)).isEqualTo("<alice@example.com>");
        assertThat(message.getSubject()).isEqualTo("Undelivered Mail Returned to Sender");
        assertThat(message.getSentDate().toInstant()).isEqualTo(NOW);
        assertThat(message.getHeader("Message-ID", null)).isEqualTo("<" + dsn.messageId() + ">")
            .endsWith("@mta1.example.com>");
        assertThat(message.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(message.getHeader("MIME-Version", null)).isEqualTo("1.0");
        ContentType type = new ContentType(message.getContentType());
        assertThat(type.getBaseType()).isEqualTo("multipart/report");
        assertThat(type.getParameter("report-type")).isEqualTo("delivery-status");
        assertThat(dsn.eightBit()).isFalse();
        assertThat(dsn.originalTruncated()).isFalse();

        MimeMultipart parts = parts(message);
        assertThat(parts.getCount()).isEqualTo(3);

        BodyPart text = parts.getBodyPart(0);
        assertThat(new ContentType(text.getContentType()).getBaseType()).isEqualTo("text/plain");
        String explanation = new String(rawBody(text), StandardCharsets.US_ASCII).replaceAll("\\s+", " ");
        assertThat(explanation)
            .contains("This is the mail system at mta1.example.com.")
            .contains("<bob@example.net>: delivery failed")
            .contains("The mail server mx.example.net said: 550 5.1.1 <bob@example.net>: user unknown")
            .contains("<carol@example.org>: delivery failed")
            .contains("example.org publishes a null MX")
            .contains("The original message is attached.");

        BodyPart status = parts.getBodyPart(1);
        assertThat(new ContentType(status.getContentType()).getBaseType()).isEqualTo("message/delivery-status");
        List<InternetHeaders> groups = statusGroups(status);
        assertThat(groups).hasSize(3);
        InternetHeaders perMessage = groups.get(0);
        assertThat(field(perMessage, "Original-Envelope-Id")).isEqualTo("QQ314159");
        assertThat(field(perMessage, "Reporting-MTA")).isEqualTo("dns; mta1.example.com");
        assertThat(date(field(perMessage, "Arrival-Date"))).isEqualTo(ARRIVED);

        InternetHeaders bob = groups.get(1);
        assertThat(field(bob, "Original-Recipient")).isEqualTo("rfc822; Bob@Example.NET");
        assertThat(field(bob, "Final-Recipient")).isEqualTo("rfc822; bob@example.net");
        assertThat(field(bob, "Action")).isEqualTo("failed");
        assertThat(field(bob, "Status")).isEqualTo("5.1.1");
        assertThat(field(bob, "Remote-MTA")).isEqualTo("dns; mx.example.net");
        assertThat(field(bob, "Diagnostic-Code")).isEqualTo("smtp; 550 5.1.1 <bob@example.net>: user unknown");
        assertThat(date(field(bob, "Last-Attempt-Date"))).isEqualTo(ATTEMPT);
        assertThat(field(bob, "Will-Retry-Until")).isNull();

        InternetHeaders carol = groups.get(2);
        assertThat(field(carol, "Original-Recipient")).isNull();
        assertThat(field(carol, "Final-Recipient")).isEqualTo("rfc822; carol@example.org");
        assertThat(field(carol, "Action")).isEqualTo("failed");
        assertThat(field(carol, "Status")).isEqualTo("5.1.10");
        assertThat(field(carol, "Remote-MTA")).isNull();
        assertThat(field(carol, "Diagnostic-Code")).isNull();

        BodyPart returned = parts.getBodyPart(2);
        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(new String(rawBody(returned), StandardCharsets.UTF_8)).isEqualTo(ORIGINAL);
        MimeMessage inner = (MimeMessage) returned.getContent();
        assertThat(inner.getSubject()).isEqualTo("Quarterly figures");
        assertThat(inner.getMessageID()).isEqualTo("<q1@example.com>");
    }

    @Test
    void retHdrsReturnsOnlyTheHeader() throws Exception {
        DsnReport report = report(new MessageDsn(Optional.of(DsnRet.HDRS), Optional.empty()), bobFailed(RecipientDsn.NONE));

        DsnMessage dsn = builder(DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE).build(report, content(ORIGINAL));
        MimeMultipart parts = parts(parse(dsn));

        BodyPart returned = parts.getBodyPart(2);
        assertThat(new ContentType(returned.getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(new String(rawBody(returned), StandardCharsets.US_ASCII)).isEqualTo(HEADER);
        assertThat(statusGroups(parts.getBodyPart(1)).get(0).getHeader("Original-Envelope-Id")).isNull();
        assertThat(dsn.originalTruncated()).isFalse();
    }

    @Test
    void retFullReturnsTheWholeMessage() throws Exception {
        DsnReport report = report(new MessageDsn(Optional.of(DsnRet.FULL), Optional.empty()), bobFailed(RecipientDsn.NONE));

        MimeMultipart parts = parts(parse(builder(1 << 20).build(report, content(ORIGINAL))));

        assertThat(new ContentType(parts.getBodyPart(2).getContentType()).getBaseType()).isEqualTo("message/rfc822");
        assertThat(new String(rawBody(parts.getBodyPart(2)), StandardCharsets.US_ASCII)).isEqualTo(ORIGINAL);
    }

    @Test
    void aDelayReportSaysUntilWhenAndReturnsOnlyTheHeader() throws Exception {
        DsnReport report = report(new MessageDsn(Optional.of(DsnRet.FULL), Optional.of("env-7")), bobDelayed());

        MimeMessage message = parse(builder(DsnMessageBuilder.DEFAULT_MAX_RETURNED_SIZE).build(report, content(ORIGINAL)));
        MimeMultipart parts = parts(message);

        assertThat(message.getSubject()).isEqualTo("Delayed Mail (still being retried)");
        String explanation = new String(rawBody(parts.getBodyPart(0)), StandardCharsets.US_ASCII).replaceAll("\\s+", " ");
        assertThat(explanation).contains("<bob@example.net>: not delivered yet.")
            .contains("will keep trying until Wed, 6 Mar 2024 09:15:00 +0000")
            .contains("status 4.7.1, deferred by policy");
        InternetHeaders bob = statusGroups(parts.getBodyPart(1)).get(1);
        assertThat(field(bob, "Action")).isEqualTo("delayed");
        assertThat(field(bob, "Status")).isEqualTo("4.7.1");
        assertThat(field(bob, "Diagnostic-Code")).isEqualTo("smtp; 451 4.7.1 Greylisted, try again later");
        assertThat(date(field(bob, "Will-Retry-Until"))).isEqualTo(GIVE_UP);
        assertThat(new ContentType(parts.getBodyPart(2).getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(new String(rawBody(parts.getBodyPart(2)), StandardCharsets.US_ASCII)).isEqualTo(HEADER);
    }

    @Test
    void aSuccessReportReturnsTheHeader() throws Exception {
        RecipientDsn success = new RecipientDsn(EnumSet.of(DsnNotify.SUCCESS), Optional.empty());
        DsnRecipient bob = DsnRecipient.fromOutcome(RecipientOutcome.fromReply("bob@example.net", "mx.example.net",
            "192.0.2.25", AttemptStage.END_OF_DATA, SmtpReply.parse(List.of("250 2.0.0 Ok: queued as 4F2"))),
            success, DsnAction.DELIVERED, ATTEMPT, Optional.empty());

        MimeMessage message = parse(builder(1 << 20).build(report(MessageDsn.NONE, bob), content(ORIGINAL)));
        MimeMultipart parts = parts(message);

        assertThat(message.getSubject()).isEqualTo("Successful Mail Delivery Report");
        InternetHeaders group = statusGroups(parts.getBodyPart(1)).get(1);
        assertThat(field(group, "Action")).isEqualTo("delivered");
        assertThat(field(group, "Status")).isEqualTo("2.0.0");
        assertThat(new ContentType(parts.getBodyPart(2).getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
    }

    @Test
    void anOriginalOverTheCapGoesBackAsItsHeader() throws Exception {
        StringBuilder big = new StringBuilder(HEADER).append("\r\n");
        while (big.length() < 5000) {
            big.append("0123456789 0123456789 0123456789 0123456789 0123456789 0123456789\r\n");
        }
        DsnReport report = report(MessageDsn.NONE, bobFailed(RecipientDsn.NONE));

        DsnMessage dsn = builder(4096).build(report, content(big.toString()));
        MimeMultipart parts = parts(parse(dsn));

        assertThat(dsn.originalTruncated()).isTrue();
        assertThat(new ContentType(parts.getBodyPart(2).getContentType()).getBaseType()).isEqualTo("text/rfc822-headers");
        assertThat(new String(rawBody(parts.getBodyPart(2)), StandardCharsets.US_ASCII)).isEqualTo(HEADER);
        assertThat(new String(rawBody(parts.getBodyPart(0)), StandardCharsets.US_ASCII).replace("\r\n", " "))
            .contains("too large to return whole");

        DsnMessage fits = builder(big.length()).build(report, content(big.toString()));
        assertThat(fits.originalTruncated()).isFalse();
        assertThat(new String(rawBody(parts(parse(fits)).getBodyPart(2)), StandardCharsets.US_ASCII))
            .isEqualTo(big.toString());
    }

    @Test
    void theBoundaryNeverOccursInTheContent() throws Exception {
        DsnReport report = report(MessageDsn.NONE, bobFailed(RecipientDsn.NONE));
        DsnMessage first = builder(1 << 20).build(report, content(ORIGINAL));
        String firstBoundary = new ContentType(parse(first).getContentType()).getParameter("boundary");

        // The same random draws again, with that boundary planted in the original.
        String trap = ORIGINAL + "--" + firstBoundary + "\r\n--" + firstBoundary + "--\r\n";
        DsnMessage second = builder(1 << 20).build(report, content(trap));
        MimeMessage message = parse(second);
        String boundary = new ContentType(message.getContentType()).getParameter("boundary");

        assertThat(boundary).isNotEqualTo(firstBoundary);
        assertThat(new String(second.bytes(), StandardCharsets.US_ASCII).split("--" + boundary, -1)).hasSize(5);
        MimeMultipart parts = parts(message);
        assertThat(parts.getCount()).isEqualTo(3);
        assertThat(new String(rawBody(parts.getBodyPart(2)), StandardCharsets.US_ASCII)).isEqualTo(trap);
    }

    @Test
    void everyLineEndsWithCrlfAndStaysShort() throws Exception {
        String longReply = "550 5.7.1 " + "x".repeat(1500) + " and then some words that go on " + "and on ".repeat(40);
        DsnRecipient bob = DsnRecipient.fromOutcome(rcptOutcome("bob@example.net", longReply), RecipientDsn.NONE,
            DsnAction.FAILED, ATTEMPT, Optional.empty());
        DsnMessage dsn = builder(1 << 20).build(report(new MessageDsn(Optional.empty(), Optional.of("id+with=odd chars")),
            bob), content(ORIGINAL));
        byte[] bytes = dsn.bytes();

        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertThat(i).as("LF at %d follows CR", i).isGreaterThan(0);
                assertThat(bytes[i - 1]).as("LF at %d follows CR", i).isEqualTo((byte) '\r');
            }
            if (bytes[i] == '\r') {
                assertThat(bytes[i + 1]).as("CR at %d precedes LF", i).isEqualTo((byte) '\n');
            }
            assertThat(bytes[i]).as("7-bit at %d", i).isGreaterThanOrEqualTo((byte) 0);
        }
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(998);
        }
        MimeMultipart parts = parts(parse(dsn));
        InternetHeaders perMessage = statusGroups(parts.getBodyPart(1)).get(0);
        assertThat(field(perMessage, "Original-Envelope-Id")).isEqualTo("id+2Bwith+3Dodd+20chars");
        String diagnostic = field(statusGroups(parts.getBodyPart(1)).get(1), "Diagnostic-Code");
        assertThat(diagnostic).startsWith("smtp; 550 5.7.1 xxx").endsWith("and on");
    }

    @Test
    void nothingFromTheReplyCanInjectLinesIntoTheReport() throws Exception {
        DsnRecipient bob = new DsnRecipient("bob@example.net", RecipientDsn.NONE, DsnAction.FAILED, "5.0.0",
            Optional.of("mx.example.net\r\nX-Injected: yes"), Optional.of("550 no\r\nAction: delivered"), ATTEMPT,
            Optional.empty(), Optional.empty());

        MimeMultipart parts = parts(parse(builder(1 << 20).build(report(MessageDsn.NONE, bob), content(ORIGINAL))));
        List<InternetHeaders> groups = statusGroups(parts.getBodyPart(1));

        assertThat(groups).hasSize(2);
        assertThat(groups.get(1).getHeader("Action")).containsExactly("failed");
        assertThat(groups.get(1).getHeader("X-Injected")).isNull();
    }

    @Test
    void anEightBitOriginalIsReturnedIntactAndLabelled() throws Exception {
        String original = "From: Jürgen <j@example.com>\r\nSubject: Grüße aus Köln\r\nTo: bob@example.net\r\n\r\nViele Grüße\r\n";
        byte[] originalBytes = original.getBytes(StandardCharsets.UTF_8);
        DsnReport report = report(MessageDsn.NONE, bobFailed(RecipientDsn.NONE));

        DsnMessage dsn = builder(1 << 20).build(report, MessageContent.ofBytes(originalBytes));
        MimeMessage message = parse(dsn);
        MimeMultipart parts = parts(message);

        assertThat(dsn.eightBit()).isTrue();
        assertThat(message.getHeader("Content-Transfer-Encoding", null)).isEqualTo("8bit");
        BodyPart returned = parts.getBodyPart(2);
        assertThat(returned.getHeader("Content-Transfer-Encoding")).containsExactly("8bit");
        assertThat(rawBody(returned)).isEqualTo(originalBytes);
        assertThat(contains(dsn.bytes(), originalBytes)).isTrue();

        // headers only: the 8-bit header is kept as it was too
        DsnMessage headers = builder(1 << 20).build(report(new MessageDsn(Optional.of(DsnRet.HDRS), Optional.empty()),
            bobFailed(RecipientDsn.NONE)), MessageContent.ofBytes(originalBytes));
        BodyPart headerPart = parts(parse(headers)).getBodyPart(2);
        assertThat(headerPart.getHeader("Content-Transfer-Encoding")).containsExactly("8bit");
        assertThat(new String(rawBody(headerPart), StandardCharsets.UTF_8))
            .isEqualTo(original.substring(0, original.indexOf("\r\n\r\n") + 2));
    }

    @Test
    void theHeaderOfAnOriginalWithBareLineFeedsEndsAtTheBlankLine() throws Exception {
        String original = "Subject: old style\nFrom: a@example.com\n\nbody\n";
        DsnReport report = report(MessageDsn.NONE, bobDelayed());

        MimeMultipart parts = parts(parse(builder(1 << 20).build(report, content(original))));

        assertThat(new String(rawBody(parts.getBodyPart(2)), StandardCharsets.US_ASCII))
            .isEqualTo("Subject: old style\nFrom: a@example.com\n\r\n");
    }

    @Test
    void reportsFollowNotifyAndNeverGoToTheNullSender() {
        RecipientDsn none = RecipientDsn.NONE;
        RecipientDsn never = new RecipientDsn(EnumSet.of(DsnNotify.NEVER), Optional.empty());
        RecipientDsn successOnly = new RecipientDsn(EnumSet.of(DsnNotify.SUCCESS), Optional.empty());
        RecipientDsn failureOnly = new RecipientDsn(EnumSet.of(DsnNotify.FAILURE), Optional.empty());
        RecipientDsn all = new RecipientDsn(Set.of(DsnNotify.SUCCESS, DsnNotify.FAILURE, DsnNotify.DELAY), Optional.empty());
        String sender = "alice@example.com";

        assertThat(DsnMessageBuilder.shouldReport(sender, none, DsnAction.FAILED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport(sender, none, DsnAction.DELAYED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport(sender, none, DsnAction.DELIVERED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(sender, never, DsnAction.FAILED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(sender, never, DsnAction.DELAYED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(sender, successOnly, DsnAction.FAILED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(sender, successOnly, DsnAction.DELIVERED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport(sender, successOnly, DsnAction.RELAYED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport(sender, failureOnly, DsnAction.DELAYED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(sender, failureOnly, DsnAction.FAILED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport(sender, all, DsnAction.DELAYED)).isTrue();
        assertThat(DsnMessageBuilder.shouldReport("", all, DsnAction.FAILED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport("", none, DsnAction.DELAYED)).isFalse();
        assertThat(DsnMessageBuilder.shouldReport(null, all, DsnAction.DELIVERED)).isFalse();
    }

    @Test
    void inconsistentEntriesAreRefused() {
        assertThatThrownBy(() -> new DsnRecipient("b@example.net", RecipientDsn.NONE, DsnAction.DELAYED, "5.1.1",
            Optional.empty(), Optional.empty(), ATTEMPT, Optional.of(GIVE_UP), Optional.empty()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DsnRecipient("b@example.net", RecipientDsn.NONE, DsnAction.DELIVERED, "5.1.1",
            Optional.empty(), Optional.empty(), ATTEMPT, Optional.empty(), Optional.empty()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DsnRecipient("b@example.net", RecipientDsn.NONE, DsnAction.FAILED, "5.1",
            Optional.empty(), Optional.empty(), ATTEMPT, Optional.empty(), Optional.empty()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DsnReport("mta1.example.com", "example.com", "", MessageDsn.NONE, ARRIVED,
            List.of(bobDelayed()))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DsnReport("mta1.example.com", "example.com", "a@example.com", MessageDsn.NONE,
            ARRIVED, List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        return DsnMessageBuilder.contains(haystack, needle);
    }

    /** RFC 5322 unfolding: a CRLF followed by white space is removed. */
    static final class MimeFolding {
        static String unfold(String value) {
            return value.replace("\r\n", "");
        }
    }

}
