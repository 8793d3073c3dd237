package org.dispatchmail.core.delivery;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The DSN parameters given at one RCPT TO (RFC 3461 NOTIFY and ORCPT). */
public final class RecipientDsn {
    public static final RecipientDsn NONE = new RecipientDsn(EnumSet.noneOf(DsnNotify.class), Optional.empty());

    private final Set<DsnNotify> notify;
    private final Optional<String> originalRecipient;

    /**
     * @param notify the NOTIFY keywords; empty when the client gave none (then failures and delays are reported)
     * @param originalRecipient ORCPT as "addr-type;address", e.g. "rfc822;user@example.com"
     */
    public RecipientDsn(Set<DsnNotify> notify, Optional<String> originalRecipient) {
        this.notify = notify.isEmpty() ? Collections.emptySet()
            : Collections.unmodifiableSet(EnumSet.copyOf(notify));
        if (this.notify.contains(DsnNotify.NEVER) && this.notify.size() > 1) {
            throw new IllegalArgumentException("NOTIFY=NEVER cannot be combined with other keywords");
        }
        this.originalRecipient = Objects.requireNonNull(originalRecipient, "originalRecipient")
            .filter(o -> !o.isEmpty());
    }

    /** Reads a stored NOTIFY list, e.g. "SUCCESS,FAILURE"; null or empty for none given. */
    public static Set<DsnNotify> parseNotify(String text) {
        Set<DsnNotify> set = EnumSet.noneOf(DsnNotify.class);
        if (text != null) {
            for (String word : text.split(",")) {
                if (!word.isBlank()) {
                    set.add(DsnNotify.valueOf(word.trim().toUpperCase(Locale.ROOT)));
                }
            }
        }
        return set;
    }

    public Set<DsnNotify> notifyOn() {
        return notify;
    }

    /** The NOTIFY list as stored and as sent on: "SUCCESS,FAILURE", or "" when none was given. */
    public String notifyText() {
        return notify.stream().map(Enum::name).collect(Collectors.joining(","));
    }

    public Optional<String> originalRecipient() {
        return originalRecipient;
    }

    /** A failure report is due unless the client asked for other reports only (RFC 3461 section 4.1). */
    public boolean wantsFailure() {
        return notify.isEmpty() || notify.contains(DsnNotify.FAILURE);
    }

    /** Delay warnings are sent when NOTIFY was not given or includes DELAY. */
    public boolean wantsDelay() {
        return notify.isEmpty() || notify.contains(DsnNotify.DELAY);
    }

    /** Success reports only on request; relayed on when the next hop supports DSN. */
    public boolean wantsSuccess() {
        return notify.contains(DsnNotify.SUCCESS);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecipientDsn && ((RecipientDsn) o).notify.equals(notify)
            && ((RecipientDsn) o).originalRecipient.equals(originalRecipient);
    }

    @Override
    public int hashCode() {
        return Objects.hash(notify, originalRecipient);
    }

    @Override
    public String toString() {
        return "NOTIFY=" + (notify.isEmpty() ? "-" : notifyText()) + " ORCPT=" + originalRecipient.orElse("-");
    }
}
