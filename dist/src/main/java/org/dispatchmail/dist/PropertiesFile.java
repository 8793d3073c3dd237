package org.dispatchmail.dist;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Reads a .properties file, and rewrites one key of it in place, keeping its comments. */
final class PropertiesFile {
    private PropertiesFile() {
    }

    static Properties read(Path file) throws LaunchException {
        if (!Files.isRegularFile(file)) {
            throw new LaunchException(file + " is missing");
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new LaunchException(file + " cannot be read: " + e.getMessage());
        }
        return properties;
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
