package org.dispatchmail.core.mtasts;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An MTA-STS policy (RFC 8461 §3.2): its mode, the MX host patterns it allows and how long a sender may keep it.
 * {@link #parse} reads the policy file; the outcome is a policy or the reason there is none, never an exception.
 */
public final class MtaStsPolicy {

    /** The longest a policy may be kept: {@code max_age} is capped at 31557600 seconds (about a year). */
    public static final Duration MAX_AGE_LIMIT = Duration.ofSeconds(31_557_600L);

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");
    private static final Pattern MAX_AGE = Pattern.compile("[0-9]{1,10}");

    /** What the receiving domain asks of senders. */
    public enum Mode {
        /** Deliver only to matching MX hosts with verified TLS. */
        ENFORCE("enforce"),
        /** Deliver as usual, report what enforce would have refused. */
        TESTING("testing"),
        /** The domain has withdrawn its policy. */
        NONE("none");

        private final String word;

        Mode(String word) {
            this.word = word;
        }

        /** The word in the policy file. */
        public String word() {
            return word;
        }

        static Optional<Mode> of(String word) {
            for (Mode mode : values()) {
                if (mode.word.equals(word)) {
                    return Optional.of(mode);
                }
            }
            return Optional.empty();
        }
    }

    private final Mode mode;
    private final List<MxPattern> mx;
    private final Duration maxAge;

    public MtaStsPolicy(Mode mode, List<MxPattern> mx, Duration maxAge) {
        this.mode = Objects.requireNonNull(mode, "mode");
        this.mx = List.copyOf(mx);
        if (maxAge.isNegative() || maxAge.compareTo(MAX_AGE_LIMIT) > 0) {
            throw new IllegalArgumentException("max_age out of range: " + maxAge);
        }
        this.maxAge = maxAge;
    }

    public Mode mode() {
        return mode;
    }

    public List<MxPattern> mx() {
        return mx;
    }

    /** How long the policy may be cached, already capped at {@link #MAX_AGE_LIMIT}. */
    public Duration maxAge() {
        return maxAge;
    }

    /** Whether the policy allows {@code mxHost} (RFC 8461 §4.1). */
    public boolean allowsMx(String mxHost) {
        for (MxPattern pattern : mx) {
            if (pattern.matches(mxHost)) {
                return true;
            }
        }
        return false;
    }

    /** A parsed policy file: the policy, or what is wrong with the file. */
    public static final class Parsed {
        private final MtaStsPolicy policy;
        private final String error;

        private Parsed(MtaStsPolicy policy, String error) {
            this.policy = policy;
            this.error = error;
        }

        public Optional<MtaStsPolicy> policy() {
            return Optional.ofNullable(policy);
        }

        /** Why the file is not a policy; empty when it is one. */
        public Optional<String> error() {
            return Optional.ofNullable(error);
        }
    }

    /**
     * Reads a policy file: {@code key: value} lines ended by CRLF or LF. {@code version} (STSv1), {@code mode} and
     * {@code max_age} are required once each; {@code mx} once or more (it may be absent only under mode none).
     * Keys and values are case-sensitive, as the RFC's grammar has them; unknown keys are ignored, blank lines
     * too. A {@code max_age} above {@link #MAX_AGE_LIMIT} is capped.
     */
    public static Parsed parse(String text) {
        String version = null;
        Mode mode = null;
        Duration maxAge = null;
        List<MxPattern> mx = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            String where = "line " + (i + 1) + ": ";
            if (colon < 0 || !KEY.matcher(line.substring(0, colon)).matches()) {
                return error(where + "not 'key: value'");
            }
            String key = line.substring(0, colon);
            String value = trimWsp(line.substring(colon + 1));
            switch (key) {
                case "version":
                    if (version != null) {
                        return error(where + "version appears twice");
                    }
                    if (!value.equals("STSv1")) {
                        return error(where + "version '" + value + "' is not STSv1");
                    }
                    version = value;
                    break;
                case "mode":
                    if (mode != null) {
                        return error(where + "mode appears twice");
                    }
                    Optional<Mode> parsed = Mode.of(value);
                    if (parsed.isEmpty()) {
                        return error(where + "mode '" + value + "' is not enforce, testing or none");
                    }
                    mode = parsed.get();
                    break;
                case "max_age":
                    if (maxAge != null) {
                        return error(where + "max_age appears twice");
                    }
                    if (!MAX_AGE.matcher(value).matches()) {
                        return error(where + "max_age '" + value + "' is not 1 to 10 digits");
                    }
                    long seconds = Long.parseLong(value);
                    maxAge = Duration.ofSeconds(Math.min(seconds, MAX_AGE_LIMIT.getSeconds()));
                    break;
                case "mx":
                    Optional<MxPattern> pattern = MxPattern.parse(value);
                    if (pattern.isEmpty()) {
                        return error(where + "mx '" + value
                                + "' is not a host name (a wildcard may only be the whole leftmost label, *.)");
                    }
                    mx.add(pattern.get());
                    break;
                default:
                    // an extension this sender does not know: ignored, as §3.2 requires
                    break;
            }
        }
        if (version == null) {
            return error("no version");
        }
        if (mode == null) {
            return error("no mode");
        }
        if (maxAge == null) {
            return error("no max_age");
        }
        if (mx.isEmpty() && mode != Mode.NONE) {
            return error("no mx, which mode " + mode.word() + " needs");
        }
        return new Parsed(new MtaStsPolicy(mode, mx, maxAge), null);
    }

    private static Parsed error(String problem) {
        return new Parsed(null, "invalid policy: " + problem);
    }

    private static String trimWsp(String value) {
        int start = 0;
        int end = value.length();
        while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
            start++;
        }
        while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
            end--;
        }
        return value.substring(start, end);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MtaStsPolicy)) {
            return false;
        }
        MtaStsPolicy other = (MtaStsPolicy) o;
        return mode == other.mode && mx.equals(other.mx) && maxAge.equals(other.maxAge);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, mx, maxAge);
    }

    @Override
    public String toString() {
        return "mode=" + mode.word() + " mx=" + mx + " max_age=" + maxAge.getSeconds();
    }
}
