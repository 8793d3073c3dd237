package org.dispatchmail.core.admin;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

import org.dispatchmail.core.queue.AttemptHistoryEntry;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.StoredMessage;
import org.dispatchmail.core.queue.QueueSummary;

/** The queue as plain-text tables for a terminal: what "./dispatch queue ..." prints. */
public final class QueueText {
    private QueueText() {
    }

    /** Like qshape: a row per domain, the count per age bucket, then the count per state. */
    public static String summary(QueueSummary summary) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-32s %6s", "domain (age in minutes)", "T"));
        for (int bound : QueueSummary.AGE_BUCKETS_MINUTES) {
            out.append(String.format(Locale.ROOT, " %6s", bound));
        }
        out.append(String.format(Locale.ROOT, " %6s   %s%n", "more", "states"));
        int[] totals = new int[QueueSummary.AGE_BUCKETS_MINUTES.size() + 1];
        for (Map.Entry<String, int[]> row : summary.byAge().entrySet()) {
            int[] ages = row.getValue();
            int sum = 0;
            for (int i = 0; i < ages.length; i++) {
                sum += ages[i];
                totals[i] += ages[i];
            }
            out.append(String.format(Locale.ROOT, "%-32s %6d", shorten(row.getKey(), 32), sum));
            for (int count : ages) {
                out.append(String.format(Locale.ROOT, " %6d", count));
            }
            out.append("   ").append(states(summary.byState().get(row.getKey()))).append(System.lineSeparator());
        }
        out.append(String.format(Locale.ROOT, "%-32s %6d", "TOTAL", summary.total()));
        for (int count : totals) {
            out.append(String.format(Locale.ROOT, " %6d", count));
        }
        out.append("   ").append(states(summary.totalsByState())).append(System.lineSeparator());
        out.append("oldest entry: ").append(summary.oldest().getSeconds()).append(" s").append(System.lineSeparator());
        return out.toString();
    }

    public static String list(List<QueueEntry> entries) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%-36s  %-20s  %-9s  %3s  %-20s  %s%n", "queue id", "queued",
            "state", "try", "next attempt", "recipient / last result"));
        for (QueueEntry entry : entries) {
            RecipientRecord r = entry.recipient();
            out.append(String.format(Locale.ROOT, "%-36s  %-20s  %-9s  %3d  %-20s  %s%n", entry.message().id(),
                time(entry.message().createdAt()), r.state().name().toLowerCase(Locale.ROOT), r.attempts(),
                r.state().isFinal() ? "-" : time(r.nextAttemptAt()), r.recipient()));
            r.lastResult().ifPresent(result -> out.append(String.format(Locale.ROOT, "%-36s  %s%n", "",
                shorten(result, 160))));
        }
        out.append(entries.size()).append(entries.size() == 1 ? " entry" : " entries").append(System.lineSeparator());
        return out.toString();
    }

    public static String show(StoredMessage message, List<RecipientRecord> recipients,
                              Function<String, List<AttemptHistoryEntry>> attempts) {
        StringBuilder out = new StringBuilder();
        line(out, "queue id", message.id().toString());
        line(out, "james mail", message.name());
        line(out, "sender", "<" + message.sender() + ">");
        line(out, "queued", message.createdAt().toString());
        line(out, "size", message.size() + " bytes");
        line(out, "dsn", message.dsn().toString());
        for (RecipientRecord r : recipients) {
            out.append(System.lineSeparator());
            line(out, "recipient", r.recipient() + "  (" + r.dsn() + ")");
            line(out, "state", r.state().name().toLowerCase(Locale.ROOT) + ", " + r.attempts() + " attempts"
                + (r.greylistAttempts() > 0 ? ", greylisted " + r.greylistAttempts() + " times" : "")
                + (r.state().isFinal() ? "" : ", next attempt " + r.nextAttemptAt())
                + r.claimedBy().map(node -> ", in flight on " + node).orElse(""));
            r.lastResult().ifPresent(result -> line(out, "last result", result));
            for (AttemptHistoryEntry a : attempts.apply(r.recipient())) {
                out.append(String.format(Locale.ROOT, "  %s %s %s[%s] tls=%s %s %s %s -> %s%n", a.attemptedAt(),
                    a.node(), a.host().orElse("-"), a.address().orElse("-"), a.tls().orElse("-"), a.stage(),
                    a.replyCode().map(String::valueOf).orElse(""), a.enhancedCode().orElse(""),
                    a.decision().toLowerCase(Locale.ROOT)));
                a.text().ifPresent(text -> out.append("      ").append(shorten(text, 200)).append(System.lineSeparator()));
            }
        }
        return out.toString();
    }

    public static String changed(String what, QueueAdmin.ChangeCount count) {
        return what + ": " + count.changed() + " changed, " + count.skipped()
            + " left alone (in flight or in another state)" + System.lineSeparator();
    }

    private static void line(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "%-12s %s%n", label + ":", value));
    }

    private static String states(Map<String, Integer> states) {
        StringBuilder text = new StringBuilder();
        if (states != null) {
            states.forEach((state, n) -> text.append(text.length() == 0 ? "" : " ").append(state).append('=').append(n));
        }
        return text.toString();
    }

    private static String time(Instant t) {
        String text = t.toString();
        return text.length() > 19 ? text.substring(0, 19) : text;
    }

    private static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 3) + "...";
    }
}
