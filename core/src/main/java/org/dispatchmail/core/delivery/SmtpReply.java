package org.dispatchmail.core.delivery;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One complete SMTP reply (RFC 5321 §4.2), possibly spread over several lines. */
public final class SmtpReply {

    // RFC 3463: class.subject.detail, followed by a space or the end of the line
    private static final Pattern ENHANCED_CODE = Pattern.compile("^([245])\\.(\\d{1,3})\\.(\\d{1,3})(?: +|$)");

    private final int code;
    private final String enhancedCode;
    private final List<String> lines;

    private SmtpReply(int code, String enhancedCode, List<String> lines) {
        this.code = code;
        this.enhancedCode = enhancedCode;
        this.lines = lines;
    }

    /**
     * Parses the lines of one reply as received (without CRLF): every line starts with the same three-digit code,
     * all but the last continue with '-', the last with ' ' or nothing.
     *
     * @throws IllegalArgumentException when the lines are not a well-formed reply
     */
    public static SmtpReply parse(List<String> lines) {
        if (lines == null || lines.isEmpty()) {
            throw new IllegalArgumentException("an SMTP reply has at least one line");
        }
        int code = -1;
        List<String> texts = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            boolean last = i == lines.size() - 1;
            int lineCode = codeOf(line);
            if (code == -1) {
                code = lineCode;
            } else if (lineCode != code) {
                throw new IllegalArgumentException("reply lines disagree on the code: " + lines);
            }
            if (line.length() > 3) {
                char separator = line.charAt(3);
                if (last ? separator != ' ' : separator != '-') {
                    throw new IllegalArgumentException("bad continuation marker in reply line: " + line);
                }
                texts.add(line.substring(4));
            } else if (last) {
                texts.add("");
            } else {
                throw new IllegalArgumentException("reply line without continuation marker: " + line);
            }
        }
        return new SmtpReply(code, enhancedCodeOf(code, texts.get(0)), Collections.unmodifiableList(texts));
    }

    /** True when the line ends a reply (code followed by a space, or nothing). */
    static boolean isLastLine(String line) {
        return line.length() == 3 || (line.length() > 3 && line.charAt(3) != '-');
    }

    private static int codeOf(String line) {
        if (line == null || line.length() < 3) {
            throw new IllegalArgumentException("reply line too short: " + line);
        }
        char a = line.charAt(0);
        char b = line.charAt(1);
        char c = line.charAt(2);
        if (a < '2' || a > '5' || b < '0' || b > '9' || c < '0' || c > '9') {
            throw new IllegalArgumentException("reply line does not start with a reply code: " + line);
        }
        return (a - '0') * 100 + (b - '0') * 10 + (c - '0');
    }

    // An enhanced code whose class contradicts the reply code (e.g. "250 5.1.1") is not trusted as one.
    private static String enhancedCodeOf(int code, String firstText) {
        Matcher m = ENHANCED_CODE.matcher(firstText);
        if (m.find() && Integer.parseInt(m.group(1)) == code / 100) {
            return m.group(1) + "." + m.group(2) + "." + m.group(3);
        }
        return null;
    }

    private static String withoutEnhancedCode(String text) {
        Matcher m = ENHANCED_CODE.matcher(text);
        return m.find() ? text.substring(m.end()) : text;
    }

    public int code() {
        return code;
    }

    /** The RFC 3463 status code ("4.2.0") from the first line's text, or null when the server sent none. */
    public String enhancedCode() {
        return enhancedCode;
    }

    /** The text of each line after "NNN-" / "NNN ". */
    public List<String> lines() {
        return lines;
    }

    /** The text of all lines joined with spaces, without the enhanced status codes. */
    public String text() {
        StringBuilder joined = new StringBuilder();
        for (String line : lines) {
            String text = enhancedCode == null ? line : withoutEnhancedCode(line);
            if (text.isEmpty()) {
                continue;
            }
            if (joined.length() > 0) {
                joined.append(' ');
            }
            joined.append(text);
        }
        return joined.toString();
    }

    public boolean isPositive() {
        return code / 100 == 2;
    }

    public boolean isTransient() {
        return code / 100 == 4;
    }

    public boolean isPermanent() {
        return code / 100 == 5;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder().append(code);
        if (enhancedCode != null) {
            s.append(' ').append(enhancedCode);
        }
        String text = text();
        if (!text.isEmpty()) {
            s.append(' ').append(text);
        }
        return s.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof SmtpReply)) {
            return false;
        }
        SmtpReply other = (SmtpReply) o;
        return code == other.code && lines.equals(other.lines);
    }

    @Override
    public int hashCode() {
        return 31 * code + lines.hashCode();
    }
}
