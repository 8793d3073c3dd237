package org.dispatchmail.core.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed access to flat key/value configuration (dispatch.properties). Every error names the source
 * file and the parameter, so a bad start-up says exactly what to fix.
 */
public final class ConfigReader {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?");

    private final String source;
    private final Map<String, String> values;

    public ConfigReader(String source, Map<String, String> values) {
        this.source = source;
        this.values = Map.copyOf(values);
    }

    public String source() {
        return source;
    }

    /** The trimmed value, or empty when the key is absent or blank. */
    public Optional<String> optional(String key) {
        String value = values.get(key);
        if (value == null || value.trim().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(value.trim());
    }

    public String string(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    public String required(String key, String why) {
        return optional(key).orElseThrow(() -> error(key, "is required: " + why));
    }

    public int integer(String key, int defaultValue, int min, int max) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        int value;
        try {
            value = Integer.parseInt(raw.get());
        } catch (NumberFormatException e) {
            throw error(key, "'" + raw.get() + "' is not a whole number");
        }
        if (value < min || value > max) {
            throw error(key, value + " is out of range [" + min + ", " + max + "]");
        }
        return value;
    }

    public boolean bool(String key, boolean defaultValue) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        switch (raw.get().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
                return true;
            case "false":
            case "no":
                return false;
            default:
                throw error(key, "'" + raw.get() + "' is not true or false");
        }
    }

    /** Durations are written as a number and a unit: 500ms, 30s, 5m, 4h, 5d (no unit = seconds). */
    public Duration duration(String key, Duration defaultValue) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        return parseDuration(key, raw.get());
    }

    public List<Duration> durations(String key, List<Duration> defaultValue) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        List<Duration> result = new ArrayList<>();
        for (String item : splitList(raw.get())) {
            result.add(parseDuration(key, item));
        }
        return List.copyOf(result);
    }

    public List<String> list(String key) {
        return optional(key).map(ConfigReader::splitList).orElse(List.of());
    }

    public <E extends Enum<E>> E enumValue(String key, Class<E> type, E defaultValue) {
        Optional<String> raw = optional(key);
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            return Enum.valueOf(type, raw.get().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw error(key, "'" + raw.get() + "' is not one of " + Arrays.toString(type.getEnumConstants()));
        }
    }

    /**
     * Parses one value, or one item of a list, of the given key with a parser that throws
     * IllegalArgumentException, turning its message into an error that names the key.
     */
    public <T> T parse(String key, String text, Function<String, T> parser) {
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw error(key, "'" + text + "': " + e.getMessage());
        }
    }

    public ConfigException error(String key, String problem) {
        return new ConfigException(source + ": " + key + " " + problem);
    }

    private Duration parseDuration(String key, String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw error(key, "'" + text + "' is not a duration such as 500ms, 30s, 5m, 4h or 5d");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        switch (unit) {
            case "ms":
                return Duration.ofMillis(amount);
            case "m":
                return Duration.ofMinutes(amount);
            case "h":
                return Duration.ofHours(amount);
            case "d":
                return Duration.ofDays(amount);
            default:
                return Duration.ofSeconds(amount);
        }
    }

    private static List<String> splitList(String raw) {
        List<String> items = new ArrayList<>();
        for (String item : raw.split(",")) {
            if (!item.trim().isEmpty()) {
                items.add(item.trim());
            }
        }
        return List.copyOf(items);
    }
}
