package org.dispatchmail.core.retry;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.dispatchmail.core.config.ConfigReader;

/** The retry.* parameters: when to try again after a temporary failure, and when to give up or warn. */
public final class RetrySettings {
    public static final List<Duration> DEFAULT_SCHEDULE = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4));
    public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(5);

    /**
     * Gaps between greylisting probes, counted from the first deferral: probes at 35 s and 65 s (just after
     * the 30 s and 60 s windows), then every minute up to 605 s, then 905 s and 1805 s (15 and 30 minutes).
     * A window of up to ten minutes is passed within about a minute of its end, whatever its length. With
     * one prober per destination (the default) only that message pays for the density; the others wait.
     */
    public static final List<Duration> DEFAULT_GREYLIST_PROBES = List.of(Duration.ofSeconds(35),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60),
        Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(60),
        Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(300), Duration.ofSeconds(900));
    public static final List<Duration> DEFAULT_DELAY_WARNINGS = List.of(Duration.ofHours(4));

    private static final int MAX_PERCENT = 50;

    private final List<Duration> schedule;
    private final Duration maxLifetime;
    private final double jitter;
    private final List<Duration> greylistProbes;
    private final int greylistMaxProbes;
    private final double greylistJitter;
    private final Duration greylistMaxJitter;
    private final Duration hintMargin;
    private final List<Duration> delayWarnings;
    private final Duration learnedWindowTtl;
    private final boolean greylistSingleProber;

    private RetrySettings(ConfigReader config) {
        this.schedule = config.durations("retry.schedule", DEFAULT_SCHEDULE);
        if (schedule.isEmpty() || schedule.stream().anyMatch(Duration::isZero)) {
            throw config.error("retry.schedule", "must list at least one delay, none of them 0");
        }
        this.maxLifetime = config.duration("retry.maxLifetime", DEFAULT_MAX_LIFETIME);
        this.jitter = percent(config, "retry.jitter", 10);
        this.greylistProbes = config.durations("retry.greylist.probes", DEFAULT_GREYLIST_PROBES);
        if (greylistProbes.isEmpty() || greylistProbes.stream().anyMatch(d -> d.compareTo(Duration.ofSeconds(1)) < 0)) {
            throw config.error("retry.greylist.probes", "must list at least one delay, each at least 1s");
        }
        this.greylistMaxProbes = config.integer("retry.greylist.maxProbes", greylistProbes.size(), 0, 50);
        this.greylistJitter = percent(config, "retry.greylist.jitter", 10);
        this.greylistMaxJitter = config.duration("retry.greylist.maxJitter", Duration.ofSeconds(15));
        this.hintMargin = config.duration("retry.greylist.hintMargin", Duration.ofSeconds(10));
        if (hintMargin.compareTo(Duration.ofMinutes(10)) > 0) {
            throw config.error("retry.greylist.hintMargin", "must be at most 10m");
        }
        this.delayWarnings = delayWarnings(config);
        this.learnedWindowTtl = config.duration("retry.learnedWindowTtl", Duration.ofDays(7));
        if (learnedWindowTtl.isZero()) {
            throw config.error("retry.learnedWindowTtl", "must be more than 0");
        }
        this.greylistSingleProber = config.bool("retry.greylist.singleProber", true);
    }

    public static RetrySettings from(ConfigReader config) {
        return new RetrySettings(config);
    }

    /** "10%" (or "10") as 0.10, between 0% and 50%. */
    private static double percent(ConfigReader config, String key, int defaultPercent) {
        String text = config.optional(key).orElse(defaultPercent + "%");
        String number = text.endsWith("%") ? text.substring(0, text.length() - 1).trim() : text;
        BigDecimal value = config.parse(key, number, BigDecimal::new);
        if (value.signum() < 0 || value.compareTo(BigDecimal.valueOf(MAX_PERCENT)) > 0) {
            throw config.error(key, "'" + text + "' is not a percentage between 0% and " + MAX_PERCENT + "%");
        }
        return value.doubleValue() / 100.0;
    }

    /** Marks since queuing, rising; "never" for none. */
    private static List<Duration> delayWarnings(ConfigReader config) {
        String key = "retry.delayWarnings";
        Optional<String> raw = config.optional(key);
        if (raw.isPresent() && raw.get().toLowerCase(Locale.ROOT).equals("never")) {
            return List.of();
        }
        List<Duration> marks = config.durations(key, DEFAULT_DELAY_WARNINGS);
        for (int i = 0; i < marks.size(); i++) {
            if (marks.get(i).isZero() || (i > 0 && marks.get(i).compareTo(marks.get(i - 1)) <= 0)) {
                throw config.error(key, "must list rising delays, none of them 0 (or be 'never')");
            }
        }
        return marks;
    }

    public List<Duration> schedule() {
        return schedule;
    }

    public Duration maxLifetime() {
        return maxLifetime;
    }

    /** Fraction added at random to a retry.schedule delay (0.10 = up to 10% later). */
    public double jitter() {
        return jitter;
    }

    public List<Duration> greylistProbes() {
        return greylistProbes;
    }

    public int greylistMaxProbes() {
        return greylistMaxProbes;
    }

    /** Fraction added at random to a greylisting retry delay, capped by {@link #greylistMaxJitter()}. */
    public double greylistJitter() {
        return greylistJitter;
    }

    public Duration greylistMaxJitter() {
        return greylistMaxJitter;
    }

    public Duration hintMargin() {
        return hintMargin;
    }

    public List<Duration> delayWarnings() {
        return delayWarnings;
    }

    public Duration learnedWindowTtl() {
        return learnedWindowTtl;
    }

    /**
     * Whether one message per destination domain probes a greylister without a hint while the other greylisted
     * messages of that domain wait for the window it finds (true), or every recipient probes (false).
     */
    public boolean greylistSingleProber() {
        return greylistSingleProber;
    }

    /** Time from the first greylisting deferral to the last probe (retry.greylist.maxProbes); zero without probes. */
    public Duration lastProbeOffset() {
        return greylistMaxProbes == 0 ? Duration.ZERO : probeOffset(greylistMaxProbes - 1);
    }

    /** The retry.schedule delay after {@code failures} failed attempts (1 or more); the last delay repeats. */
    public Duration delayAfter(int failures) {
        int index = Math.max(0, Math.min(failures - 1, schedule.size() - 1));
        return schedule.get(index);
    }

    /** Time from the first greylisting deferral to probe number {@code index} (0-based); the last gap repeats. */
    public Duration probeOffset(int index) {
        Duration offset = Duration.ZERO;
        for (int i = 0; i <= index; i++) {
            offset = offset.plus(probeGap(i));
        }
        return offset;
    }

    Duration probeGap(int index) {
        return greylistProbes.get(Math.min(index, greylistProbes.size() - 1));
    }
}
