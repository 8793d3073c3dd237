package org.dispatchmail.core.delivery;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An RFC 3463 enhanced status code, class.subject.detail, e.g. 4.7.1. */
public final class EnhancedStatus {

    private static final Pattern FORM = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})");

    // X.0.0, "other or undefined status": for a reply that carried no enhanced code of its own
    public static final EnhancedStatus SUCCESS = new EnhancedStatus(2, 0, 0);
    public static final EnhancedStatus TEMPORARY = new EnhancedStatus(4, 0, 0);
    public static final EnhancedStatus PERMANENT = new EnhancedStatus(5, 0, 0);

    private final int statusClass;
    private final int subject;
    private final int detail;

    private EnhancedStatus(int statusClass, int subject, int detail) {
        if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
            throw new IllegalArgumentException("the class of an enhanced status code is 2, 4 or 5, not " + statusClass);
        }
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("subject and detail of an enhanced status code have 1 to 3 digits: "
                + statusClass + "." + subject + "." + detail);
        }
        this.statusClass = statusClass;
        this.subject = subject;
        this.detail = detail;
    }

    public static EnhancedStatus of(int statusClass, int subject, int detail) {
        return new EnhancedStatus(statusClass, subject, detail);
    }

    /** Parses "4.7.1"; anything else is an IllegalArgumentException. */
    public static EnhancedStatus parse(String text) {
        Matcher m = FORM.matcher(Objects.requireNonNull(text, "text"));
        if (!m.matches()) {
            throw new IllegalArgumentException("not an enhanced status code (class.subject.detail): '" + text + "'");
        }
        return new EnhancedStatus(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
            Integer.parseInt(m.group(3)));
    }

    /** 2 success, 4 persistent transient failure, 5 permanent failure. */
    public int statusClass() {
        return statusClass;
    }

    public int subject() {
        return subject;
    }

    public int detail() {
        return detail;
    }

    public boolean isPermanent() {
        return statusClass == 5;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof EnhancedStatus)) {
            return false;
        }
        EnhancedStatus other = (EnhancedStatus) o;
        return statusClass == other.statusClass && subject == other.subject && detail == other.detail;
    }

    @Override
    public int hashCode() {
        return Objects.hash(statusClass, subject, detail);
    }

    @Override
    public String toString() {
        return statusClass + "." + subject + "." + detail;
    }
}
