package org.dispatchmail.core.retry;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.delivery.SmtpReply;

/**
 * Tells greylisting apart from other temporary failures by the reply a server gave. No standard marks
 * greylisting, so the text decides: a reply that names greylisting is one whatever its 4xx code; a
 * vaguer "try again later" counts only with a code greylisters use (450/451/452, enhanced code absent or
 * one of 4.2.0 4.7.0 4.7.1 4.3.0 4.4.3) and nothing in the text pointing elsewhere (quota, too many
 * recipients, rate limits, shutdown). Failures without a reply (DNS, connection) are never greylisting.
 */
public final class GreylistDetector {
    /** Hints outside this range are clamped: a hint of 0 s or of a day is not to be taken literally. */
    public static final Duration MIN_HINT = Duration.ofSeconds(10);
    public static final Duration MAX_HINT = Duration.ofMinutes(30);

    // Texts that say greylisting outright (postgrey, greyfix, sqlgrey, freenet, Stalwart, Mimecast).
    private static final Pattern NAMED = Pattern.compile(
        "gr[ae]y[ -]?list"
            + "|not yet authori[sz]ed to deliver"
            // Mimecast's greylisting reply; the same link also follows other 451s, so the words matter
            + "|internal resource temporarily unavailable - https?://community\\.mimecast\\.com/",
        Pattern.CASE_INSENSITIVE);

    // Texts that ask for a later retry without saying why.
    private static final Pattern ASKS_LATER = Pattern.compile(
        "try (?:again )?later"
            + "|try again in\\b"
            + "|retry (?:later|in\\b)"
            + "|come back (?:later|in\\b)"
            + "|temporar(?:y|ily) rejected",
        Pattern.CASE_INSENSITIVE);

    // Texts naming another cause: a later retry may help, but not after a greylisting window.
    private static final Pattern OTHER_CAUSE = Pattern.compile(
        "quota|mailbox (?:is )?full|insufficient (?:system )?storage|out of storage"
            + "|too many (?:recipients|connections|messages|errors)|rate.?limit|throttl"
            + "|shutting down|closing (?:transmission )?channel",
        Pattern.CASE_INSENSITIVE);

    private static final Set<Integer> GREYLIST_CODES = Set.of(450, 451, 452);
    private static final Set<String> GREYLIST_ENHANCED = Set.of("4.2.0", "4.7.0", "4.7.1", "4.3.0", "4.4.3");

    // "in 300 seconds", "in 5 minutes", "in 30 s", "retry in 2m", "come back in 1 hour", "wait 60 seconds"
    private static final Pattern HINT = Pattern.compile(
        "\\b(?:in|after|for|wait)\\s+(\\d{1,6})\\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\\b",
        Pattern.CASE_INSENSITIVE);

    public Optional<GreylistSignal> detect(RecipientOutcome outcome) {
        Optional<SmtpReply> reply = outcome.serverReply();
        if (outcome.status() != RecipientOutcome.Status.TEMPORARY || reply.isEmpty() || !reply.get().isTransient()) {
            return Optional.empty();
        }
        return detect(reply.get());
    }

    /** The same judgement on a bare reply. */
    public Optional<GreylistSignal> detect(SmtpReply reply) {
        if (!reply.isTransient()) {
            return Optional.empty();
        }
        String text = reply.text();
        Matcher named = NAMED.matcher(text);
        if (named.find()) {
            return Optional.of(new GreylistSignal(hint(text), named.group()));
        }
        if (!GREYLIST_CODES.contains(reply.code())) {
            return Optional.empty();
        }
        String enhanced = reply.enhancedCode();
        if (enhanced != null && !GREYLIST_ENHANCED.contains(enhanced)) {
            return Optional.empty();
        }
        if (OTHER_CAUSE.matcher(text).find()) {
            return Optional.empty();
        }
        Matcher asks = ASKS_LATER.matcher(text);
        if (asks.find()) {
            return Optional.of(new GreylistSignal(hint(text), asks.group()));
        }
        return Optional.empty();
    }

    /** The first delay stated in the text, clamped to [MIN_HINT, MAX_HINT]. */
    static Optional<Duration> hint(String text) {
        Matcher m = HINT.matcher(text);
        if (!m.find()) {
            return Optional.empty();
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2).toLowerCase(Locale.ROOT);
        Duration delay;
        if (unit.startsWith("h")) {
            delay = Duration.ofHours(amount);
        } else if (unit.startsWith("m")) {
            delay = Duration.ofMinutes(amount);
        } else {
            delay = Duration.ofSeconds(amount);
        }
        if (delay.compareTo(MIN_HINT) < 0) {
            delay = MIN_HINT;
        } else if (delay.compareTo(MAX_HINT) > 0) {
            delay = MAX_HINT;
        }
        return Optional.of(delay);
    }
}
