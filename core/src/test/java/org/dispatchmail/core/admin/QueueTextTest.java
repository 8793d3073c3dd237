package org.dispatchmail.core.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;
import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.queue.StoredMessage;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.queue.QueueSummary;

class QueueTextTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");
    private static final UUID ID = UUID.fromString("0f8fad5b-d9cb-469f-a165-70867728950e");
    private static final byte[] CONTENT = "Subject: figures\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final StoredMessage MESSAGE = new StoredMessage(ID, "mail-1", "alice@example.com", T0,
        new MessageDsn(Optional.of(DsnRet.HDRS), Optional.of("env-1")), 2, 0, MessageContent.ofBytes(CONTENT));

    private static final String GREYLISTED = "mx.one.test[192.0.2.7] said 450 4.2.0 <bob@one.test>: Recipient address"
        + " rejected: Greylisted (in reply to RCPT TO)";
    private static final RecipientRecord BOB = RecipientRecord.builder(ID, "bob@one.test", RecipientState.DEFERRED,
            T0.plus(Duration.ofMinutes(10)))
        .attempts(2).greylistAttempts(1).firstGreylistedAt(Optional.of(T0)).lastGreylistedAt(Optional.of(T0))
        .lastResult(Optional.of(GREYLISTED))
        .dsn(new RecipientDsn(EnumSet.of(DsnNotify.FAILURE), Optional.of("rfc822;Bob@one.test"))).build();
    private static final RecipientRecord CAROL = RecipientRecord.builder(ID, "carol@two.test", RecipientState.IN_FLIGHT,
            T0).claimedBy(Optional.of("node-b")).claimUntil(Optional.of(T0.plus(Duration.ofMinutes(15)))).build();
    private static final RecipientRecord DAVE = RecipientRecord.builder(ID, "dave@one.test", RecipientState.DELIVERED,
            T0.plusSeconds(5)).attempts(1).lastResult(Optional.of("mx.one.test said 250 ok")).build();

    private static List<String> lines(String text) {
        return Arrays.asList(text.split(System.lineSeparator()));
    }

    /** The whitespace-separated words of the line starting with {@code first}. */
    private static List<String> row(String text, String first) {
        for (String line : lines(text)) {
            if (line.startsWith(first + " ")) {
                return Arrays.asList(line.trim().split(" +"));
            }
        }
        throw new AssertionError("no row for " + first + " in:\n" + text);
    }

    @Test
    void theSummaryHasARowPerDomainWithAgesAndStatesAndATotal() {
        QueueSummary summary = new QueueSummary();
        summary.add("one.test", "pending", Duration.ofMinutes(3));
        summary.add("one.test", "deferred", Duration.ofMinutes(90));
        summary.add("two.test", "held", Duration.ofDays(2));

        String text = QueueText.summary(summary);

        assertThat(lines(text).get(0).trim().split(" +")).containsExactly("domain", "(age", "in", "minutes)", "T",
            "5", "10", "20", "40", "80", "160", "320", "640", "1280", "more", "states");
        assertThat(row(text, "one.test")).containsExactly("one.test", "2", "1", "0", "0", "0", "0", "1", "0", "0",
            "0", "0", "deferred=1", "pending=1");
        assertThat(row(text, "two.test")).containsExactly("two.test", "1", "0", "0", "0", "0", "0", "0", "0", "0",
            "0", "1", "held=1");
        assertThat(row(text, "TOTAL")).containsExactly("TOTAL", "3", "1", "0", "0", "0", "0", "1", "0", "0", "0", "1",
            "deferred=1", "held=1", "pending=1");
        assertThat(lines(text)).contains("oldest entry: 172800 s");
    }

    @Test
    void anEmptySummaryIsAHeaderAndAZeroTotal() {
        String text = QueueText.summary(new QueueSummary());

        assertThat(lines(text)).hasSize(3);
        assertThat(row(text, "TOTAL")).containsExactly("TOTAL", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0", "0");
        assertThat(lines(text)).contains("oldest entry: 0 s");
    }

    @Test
    void aLongDomainIsShortenedToItsColumn() {
        QueueSummary summary = new QueueSummary();
        String domain = "a-very-long-subdomain-name.of-a-destination.example";
        summary.add(domain, "pending", Duration.ZERO);

        List<String> row = row(QueueText.summary(summary), domain.substring(0, 29) + "...");

        assertThat(row.get(1)).isEqualTo("1");
    }

    @Test
    void theListHasARowPerRecipientAndItsLastResult() {
        String text = QueueText.list(List.of(new QueueEntry(MESSAGE, BOB), new QueueEntry(MESSAGE, DAVE)));

        List<String> lines = lines(text);
        assertThat(lines.get(0).trim().split(" +")).containsExactly("queue", "id", "queued", "state", "try",
            "next", "attempt", "recipient", "/", "last", "result");
        assertThat(lines.get(1).trim().split(" +")).containsExactly(ID.toString(), "2026-11-29T10:00:30", "deferred",
            "2", "2026-11-29T10:10:30", "bob@one.test");
        assertThat(lines.get(2).trim()).isEqualTo(GREYLISTED);
        assertThat(lines.get(3).trim().split(" +")).as("a final recipient has no next attempt")
            .containsExactly(ID.toString(), "2026-11-29T10:00:30", "delivered", "1", "-", "dave@one.test");
        assertThat(lines.get(4).trim()).isEqualTo("mx.one.test said 250 ok");
        assertThat(lines.get(5)).isEqualTo("2 entries");
        assertThat(lines).hasSize(6);
    }

    @Test
    void theListCountsOneEntryInTheSingular() {
        String text = QueueText.list(List.of(new QueueEntry(MESSAGE, CAROL)));

        assertThat(lines(text)).hasSize(3).endsWith("1 entry");
        assertThat(lines(text).get(1)).contains("in_flight").endsWith("carol@two.test");
    }

    @Test
    void showGivesTheEnvelopeEachRecipientAndItsAttempts() {
        AttemptHistoryEntry greylisted = new AttemptHistoryEntry(T0.plusSeconds(60), "node-a",
            Optional.of("mx.one.test"), Optional.of("192.0.2.7"), "rcpt", Optional.of(450), Optional.of("4.2.0"),
            Optional.of("<bob@one.test>: Recipient address rejected: Greylisted"),
            Optional.of("TLSv1.3 TLS_AES_128_GCM_SHA256 verified"), "DEFERRED",
            Optional.of(T0.plus(Duration.ofMinutes(10))));
        AttemptHistoryEntry dnsFailure = new AttemptHistoryEntry(T0, "node-a", Optional.empty(), Optional.empty(),
            "dns", Optional.empty(), Optional.of("4.4.3"), Optional.of("no answer from the name servers"),
            Optional.empty(), "DEFERRED", Optional.of(T0.plusSeconds(60)));
        Map<String, List<AttemptHistoryEntry>> history = Map.of("bob@one.test", List.of(dnsFailure, greylisted),
            "carol@two.test", List.of());

        String text = QueueText.show(MESSAGE, List.of(BOB, CAROL), history::get);

        assertThat(lines(text)).contains(
            "queue id:    " + ID,
            "james mail:  mail-1",
            "sender:      <alice@example.com>",
            "queued:      2026-11-29T10:00:30Z",
            "size:        " + CONTENT.length + " bytes",
            "dsn:         RET=HDRS ENVID=env-1",
            "recipient:   bob@one.test  (NOTIFY=FAILURE ORCPT=rfc822;Bob@one.test)",
            "state:       deferred, 2 attempts, greylisted 1 times, next attempt 2026-11-29T10:10:30Z",
            "last result: " + GREYLISTED,
            "  2026-11-29T10:00:30Z node-a -[-] tls=- dns  4.4.3 -> deferred",
            "      no answer from the name servers",
            "  2026-11-29T10:01:30Z node-a mx.one.test[192.0.2.7] tls=TLSv1.3 TLS_AES_128_GCM_SHA256 verified rcpt"
                + " 450 4.2.0 -> deferred",
            "      <bob@one.test>: Recipient address rejected: Greylisted",
            "recipient:   carol@two.test  (NOTIFY=- ORCPT=-)",
            "state:       in_flight, 0 attempts, next attempt 2026-11-29T10:00:30Z, in flight on node-b");
        assertThat(text.indexOf("dns  4.4.3")).as("attempts in the order given").isLessThan(text.indexOf("rcpt 450"));
    }

    @Test
    void showMarksTheNullSender() {
        StoredMessage bounce = new StoredMessage(ID, "mail-2", "", T0, MessageDsn.NONE, 1, 0,
            MessageContent.ofBytes(CONTENT));

        String text = QueueText.show(bounce, List.of(DAVE), r -> List.of());

        assertThat(lines(text)).contains("sender:      <>", "dsn:         RET=- ENVID=-",
            "state:       delivered, 1 attempts");
    }

    @Test
    void aCommandSaysWhatItChangedAndWhatItLeftAlone() {
        QueueAdmin.ChangeCount count = new QueueAdmin.ChangeCount();

        assertThat(QueueText.changed("retry now", count))
            .isEqualTo("retry now: 0 changed, 0 left alone (in flight or in another state)" + System.lineSeparator());
    }
}
