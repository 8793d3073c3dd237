package org.dispatchmail.core.submission;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a login may use a sender address (MAIL FROM, header From:). Strict: the address is the
 * login itself or one it was granted (exact, or a whole domain "@example.com"). Relaxed: any address
 * in the domain of one of those.
 */
public final class SenderAlignment {
    public enum Mode { STRICT, RELAXED }

    private final Mode mode;

    public SenderAlignment(Mode mode) {
        this.mode = mode;
    }

    /**
     * @param login   the authenticated login (an address)
     * @param granted the addresses and "@domain" entries the login may use besides itself
     */
    public boolean allows(String login, List<String> granted, String address) {
        String wanted = address.trim().toLowerCase(Locale.ROOT);
        List<String> entries = new ArrayList<>(granted);
        entries.add(login);
        for (String entry : entries) {
            String allowed = entry.trim().toLowerCase(Locale.ROOT);
            if (allowed.startsWith("@") ? domainOf(wanted).equals(allowed.substring(1)) : wanted.equals(allowed)) {
                return true;
            }
            if (mode == Mode.RELAXED && domainOf(wanted).equals(allowed.startsWith("@") ? allowed.substring(1) : domainOf(allowed))) {
                return true;
            }
        }
        return false;
    }

    private static String domainOf(String address) {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1);
    }
}
