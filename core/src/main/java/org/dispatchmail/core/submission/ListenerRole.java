package org.dispatchmail.core.submission;

import java.util.Locale;

/** What an SMTP listener is for; the SMTP hook records it on each mail so the processors can route by it. */
public enum ListenerRole {
    /** Port 25: mail for local domains from anywhere; never relays. */
    MX,
    /** 587, 2587, 2525: STARTTLS, then AUTH. */
    SUBMISSION,
    /** 465, 2465: implicit TLS, then AUTH. */
    SUBMISSIONS;

    /** Mail attribute names set by the listener hook. */
    public static final String ROLE_ATTRIBUTE = "dispatch.listener.role";
    public static final String NAME_ATTRIBUTE = "dispatch.listener.name";
    public static final String PORT_ATTRIBUTE = "dispatch.listener.port";
    public static final String TLS_ATTRIBUTE = "dispatch.listener.tls";
    public static final String TLS_PROTOCOL_ATTRIBUTE = "dispatch.listener.tls.protocol";
    public static final String TLS_CIPHER_ATTRIBUTE = "dispatch.listener.tls.cipher";
    public static final String AUTH_MECHANISM_ATTRIBUTE = "dispatch.auth.mechanism";

    public boolean isSubmission() {
        return this != MX;
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a role as written in configuration; the message lists what is accepted. */
    public static ListenerRole parse(String text) {
        for (ListenerRole role : values()) {
            if (role.configName().equals(text.trim().toLowerCase(Locale.ROOT))) {
                return role;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not one of mx, submission, submissions");
    }
}
