package org.dispatchmail.core.mtasts;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One {@code mx} pattern of an MTA-STS policy (RFC 8461 §3.2, §4.1): a host name, or {@code *.} and a domain, where
 * the wildcard stands for exactly one leftmost label ({@code *.example.net} matches {@code mx1.example.net}, neither
 * {@code example.net} nor {@code a.b.example.net}).
 */
public final class MxPattern {
    private static final Pattern LABEL = Pattern.compile("[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?");
    private static final int MAX_NAME_LENGTH = 253;

    private final boolean wildcard;
    // lower case, without trailing dot; for a wildcard, the part after "*."
    private final String name;

    private MxPattern(boolean wildcard, String name) {
        this.wildcard = wildcard;
        this.name = name;
    }

    /** The pattern, or empty when {@code text} is not a host name with at most a leading {@code *.}. */
    public static Optional<MxPattern> parse(String text) {
        String value = text.toLowerCase(Locale.ROOT);
        if (value.endsWith(".")) {
            value = value.substring(0, value.length() - 1);
        }
        boolean wildcard = value.startsWith("*.");
        String name = wildcard ? value.substring(2) : value;
        if (name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            return Optional.empty();
        }
        for (String label : name.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return Optional.empty();
            }
        }
        return Optional.of(new MxPattern(wildcard, name));
    }

    /** Whether {@code mxHost} (an MX host name, any case, with or without the trailing dot) matches. */
    public boolean matches(String mxHost) {
        String host = mxHost.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (!wildcard) {
            return host.equals(name);
        }
        if (!host.endsWith("." + name)) {
            return false;
        }
        String first = host.substring(0, host.length() - name.length() - 1);
        return !first.isEmpty() && first.indexOf('.') < 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MxPattern && ((MxPattern) o).wildcard == wildcard && ((MxPattern) o).name.equals(name);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + (wildcard ? 1 : 0);
    }

    @Override
    public String toString() {
        return wildcard ? "*." + name : name;
    }
}
