package org.dispatchmail.core.config;

import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Refuses a .properties file that gives a key on two lines. java.util.Properties keeps the last one and James's
 * reader joins both into a list, so a repeated key would otherwise fail far from its cause ("'1000,0' is not a
 * whole number") or not at all. The launcher has its own copy of this check because its jar runs without core.
 */
public final class RepeatedKeys {
    private RepeatedKeys() {
    }

    /** Throws a {@link ConfigException} naming the key and both line numbers. */
    public static void check(String source, List<String> lines) {
        Map<String, Integer> firstLine = new HashMap<>();
        int i = 0;
        while (i < lines.size()) {
            int start = i;
            StringBuilder entry = new StringBuilder(lines.get(i));
            boolean comment = isCommentOrBlank(lines.get(i));
            while (!comment && continues(lines.get(i)) && i + 1 < lines.size()) {
                entry.append('\n').append(lines.get(++i));
            }
            i++;
            if (comment) {
                continue;
            }
            for (String key : keysOf(source, entry.toString())) {
                Integer earlier = firstLine.putIfAbsent(key, start + 1);
                if (earlier != null) {
                    throw new ConfigException(source + ": " + key + " is given twice, on lines " + earlier + " and "
                        + (start + 1) + "; keep one of them");
                }
            }
        }
    }

    private static Iterable<String> keysOf(String source, String entry) {
        Properties one = new Properties();
        try {
            one.load(new StringReader(entry));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(source + " cannot be read: " + e.getMessage());
        }
        return one.stringPropertyNames();
    }

    private static boolean isCommentOrBlank(String line) {
        String trimmed = line.stripLeading();
        return trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("!");
    }

    /** A line ending in an odd number of backslashes goes on in the next one. */
    private static boolean continues(String line) {
        int backslashes = 0;
        for (int i = line.length() - 1; i >= 0 && line.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }
}
