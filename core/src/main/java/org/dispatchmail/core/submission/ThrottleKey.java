package org.dispatchmail.core.submission;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * What failed AUTHs are counted under: a client address (IPv4 per address, IPv6 per /64, since one host usually
 * holds a whole /64) or a login (lower-cased, whether or not it exists, so probing one login from many addresses
 * is counted too).
 */
final class ThrottleKey {
    /** Longer than any address; a longer login is counted under its first characters. */
    private static final int MAX_LOGIN_CHARS = 320;

    private final String value;

    private ThrottleKey(String value) {
        this.value = value;
    }

    static ThrottleKey address(String clientAddress) {
        String literal = Objects.requireNonNull(clientAddress, "clientAddress").trim();
        byte[] bytes = literalBytes(literal);
        if (bytes == null) {
            return new ThrottleKey("address:" + literal.toLowerCase(Locale.ROOT));
        }
        if (bytes.length == 16) {
            byte[] prefix = Arrays.copyOf(bytes, 16);
            Arrays.fill(prefix, 8, 16, (byte) 0);
            try {
                return new ThrottleKey("address:" + InetAddress.getByAddress(prefix).getHostAddress() + "/64");
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            return new ThrottleKey("address:" + InetAddress.getByAddress(bytes).getHostAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static ThrottleKey login(String login) {
        String lower = SubmissionAddresses.lower(Objects.requireNonNull(login, "login").trim());
        String counted = lower.length() > MAX_LOGIN_CHARS ? lower.substring(0, MAX_LOGIN_CHARS) : lower;
        return new ThrottleKey("login:" + counted);
    }

    boolean isAddress() {
        return value.startsWith("address:");
    }

    /** The partition key in Cassandra. */
    String value() {
        return value;
    }

    /** The bytes of an IP literal, or null when it is not one; never asks DNS. */
    private static byte[] literalBytes(String literal) {
        String bare = literal.startsWith("[") && literal.endsWith("]") ? literal.substring(1, literal.length() - 1)
            : literal;
        int zone = bare.indexOf('%');
        if (zone >= 0) {
            bare = bare.substring(0, zone);
        }
        if (!bare.matches("[0-9A-Fa-f:.]+") || !(bare.contains(":") || bare.matches("\\d{1,3}(\\.\\d{1,3}){3}"))) {
            return null;
        }
        try {
            return InetAddress.getByName(bare).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ThrottleKey && ((ThrottleKey) other).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public String toString() {
        return value;
    }
}
