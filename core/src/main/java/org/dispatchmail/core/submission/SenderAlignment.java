package org.dispatchmail.core.submission;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.dispatchmail.core.routing.DomainNames;

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
        String wantedDomain = DomainNames.domainOf(wanted);
        List<String> entries = new ArrayList<>(granted);
        entries.add(login);
        for (String entry : entries) {
            String allowed = entry.trim().toLowerCase(Locale.ROOT);
            if (allowed.startsWith("@") ? wantedDomain.equals(allowed.substring(1)) : wanted.equals(allowed)) {
                return true;
            }
            String allowedDomain = allowed.startsWith("@") ? allowed.substring(1) : DomainNames.domainOf(allowed);
            if (mode == Mode.RELAXED && wantedDomain.equals(allowedDomain)) {
                return true;
            }
        }
        return false;
    }
}
