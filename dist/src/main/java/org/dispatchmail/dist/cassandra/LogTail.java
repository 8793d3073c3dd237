package org.dispatchmail.dist.cassandra;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The last lines of a log file, readable in an exception message: stack frames collapsed, long lines cut. */
final class LogTail {
    private static final int MAX_BYTES = 256 * 1024;
    private static final int MAX_LINE = 400;
    private static final Pattern FRAME = Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ (more|common frames omitted))");

    private LogTail() {
    }

    /** The last {@code maxLines} lines of {@code file}, each stack trace reduced to its first frame; empty if none. */
    static List<String> lastLines(Path file, int maxLines) {
        List<String> raw = readEnd(file);
        List<String> collapsed = new ArrayList<>();
        int omitted = 0;
        boolean inFrames = false;
        for (String line : raw) {
            if (FRAME.matcher(line).find()) {
                if (!inFrames) {
                    inFrames = true;
                    collapsed.add(cut(line));
                } else {
                    omitted++;
                }
                continue;
            }
            if (omitted > 0) {
                collapsed.add("  ... " + omitted + " more stack lines");
            }
            omitted = 0;
            inFrames = false;
            if (!line.isBlank()) {
                collapsed.add(cut(line));
            }
        }
        if (omitted > 0) {
            collapsed.add("  ... " + omitted + " more stack lines");
        }
        return collapsed.subList(Math.max(0, collapsed.size() - maxLines), collapsed.size());
    }

    /** "Last lines of FILE:" and the indented lines, or "FILE is empty" / "FILE does not exist". */
    static String describe(Path file, int maxLines) {
        if (!Files.isRegularFile(file)) {
            return file + " does not exist (yet)";
        }
        List<String> lines = lastLines(file, maxLines);
        if (lines.isEmpty()) {
            return file + " is empty";
        }
        StringBuilder text = new StringBuilder("Last lines of ").append(file).append(':');
        for (String line : lines) {
            text.append("\n    ").append(line);
        }
        return text.toString();
    }

    private static List<String> readEnd(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try (SeekableByteChannel channel = Files.newByteChannel(file)) {
            long size = channel.size();
            long start = Math.max(0, size - MAX_BYTES);
            channel.position(start);
            ByteBuffer buffer = ByteBuffer.allocate((int) (size - start));
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // keep reading
            }
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>(List.of(text.split("\r?\n", -1)));
            if (start > 0 && !lines.isEmpty()) {
                lines.remove(0); // partial first line
            }
            return lines;
        } catch (IOException e) {
            return List.of("(could not read " + file + ": " + e + ")");
        }
    }

    private static String cut(String line) {
        String clean = line.replace('\t', ' ').stripTrailing();
        if (FRAME.matcher(line).find()) {
            clean = "  " + clean.strip();
        }
        return clean.length() <= MAX_LINE ? clean : clean.substring(0, MAX_LINE) + " [...]";
    }
}
