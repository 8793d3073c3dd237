package org.dispatchmail.core.delivery;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** The message-wide DSN parameters given at MAIL FROM (RFC 3461 RET and ENVID). */
public final class MessageDsn {
    public static final MessageDsn NONE = new MessageDsn(Optional.empty(), Optional.empty());

    private final Optional<DsnRet> ret;
    private final Optional<String> envelopeId;

    public MessageDsn(Optional<DsnRet> ret, Optional<String> envelopeId) {
        this.ret = Objects.requireNonNull(ret, "ret");
        this.envelopeId = Objects.requireNonNull(envelopeId, "envelopeId").filter(id -> !id.isEmpty());
    }

    /** Reads a stored RET value: FULL, HDRS, or null/empty for none. */
    public static Optional<DsnRet> parseRet(String text) {
        if (text == null || text.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(DsnRet.valueOf(text.toUpperCase(Locale.ROOT)));
    }

    public Optional<DsnRet> ret() {
        return ret;
    }

    /** ENVID as given by the client (xtext decoded), empty when none. */
    public Optional<String> envelopeId() {
        return envelopeId;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MessageDsn && ((MessageDsn) o).ret.equals(ret) && ((MessageDsn) o).envelopeId.equals(envelopeId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ret, envelopeId);
    }

    @Override
    public String toString() {
        return "RET=" + ret.map(Enum::name).orElse("-") + " ENVID=" + envelopeId.orElse("-");
    }
}
