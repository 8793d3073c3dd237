package org.dispatchmail.dist;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Reads a .properties file, refusing a key given twice, and rewrites one key of it in place, keeping
 * its comments.
 */
final class PropertiesFile {
    private PropertiesFile() {
    }

    static Properties read(Path file) throws LaunchException {
        if (!Files.isRegularFile(file)) {
            throw new LaunchException(file + " is missing");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LaunchException(file + " cannot be read: " + e.getMessage());
        }
        return parse(file.toString(), lines);
    }

    /**
     * Parses the lines of a .properties file. java.util.Properties silently keeps the last of two
     * lines with the same key (and James's reader joins them into a list), so each entry is read on
     * its own first and a second one for a key is refused with both line numbers.
     */
    static Properties parse(String source, List<String> lines) throws LaunchException {
        Properties properties = new Properties();
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
            Properties one = load(source, entry.toString());
            for (String key : one.stringPropertyNames()) {
                Integer earlier = firstLine.putIfAbsent(key, start + 1);
                if (earlier != null) {
                    throw new LaunchException(source + ": " + key + " is given twice, on lines " + earlier + " and "
                        + (start + 1) + "; keep one of them");
                }
                properties.setProperty(key, one.getProperty(key));
            }
        }
        return properties;
    }

    private static Properties load(String source, String entry) throws LaunchException {
        Properties one = new Properties();
        try {
            one.load(new StringReader(entry));
        } catch (IOException | IllegalArgumentException e) {
            throw new LaunchException(source + " cannot be read: " + e.getMessage());
        }
        return one;
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

    static String get(Properties properties, String key, String defaultValue) {
        String value = properties.getProperty(key);
        return value == null || value.trim().isEmpty() ? defaultValue : value.trim();
    }

    static int port(Properties properties, Path file, String key, int defaultValue) throws LaunchException {
        String value = get(properties, key, String.valueOf(defaultValue));
        try {
            int port = Integer.parseInt(value);
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new LaunchException(file + ": " + key + " '" + value + "' is not a port number (1-65535)");
    }

    /** Sets key=value: replaces the key's line, or appends one. */
    static void set(Path file, String key, String value) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        boolean replaced = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.startsWith(key + "=") || line.startsWith(key + " ") || line.equals(key)) {
                lines.set(i, key + "=" + value);
                replaced = true;
            }
        }
        if (!replaced) {
            lines.add(key + "=" + value);
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
