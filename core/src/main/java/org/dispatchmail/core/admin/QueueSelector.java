package org.dispatchmail.core.admin;

import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.routing.DomainNames;

/** Which queue entries an admin command applies to: one message, one recipient domain, or everything. */
public final class QueueSelector {
    private final Optional<UUID> messageId;
    private final Optional<String> domain;

    private QueueSelector(Optional<UUID> messageId, Optional<String> domain) {
        this.messageId = messageId;
        this.domain = domain.map(DomainNames::comparable);
    }

    public static QueueSelector message(UUID id) {
        return new QueueSelector(Optional.of(id), Optional.empty());
    }

    public static QueueSelector domain(String domain) {
        return new QueueSelector(Optional.empty(), Optional.of(domain));
    }

    public static QueueSelector all() {
        return new QueueSelector(Optional.empty(), Optional.empty());
    }

    public Optional<UUID> messageId() {
        return messageId;
    }

    public Optional<String> domain() {
        return domain;
    }

    /** Whether a recipient address falls under this selector (the message itself is checked by the caller). */
    public boolean matchesRecipient(String recipient) {
        return domain.map(d -> DomainNames.recipientDomain(recipient).equals(d)).orElse(true);
    }

    @Override
    public String toString() {
        return messageId.map(id -> "message " + id).orElseGet(() -> domain.map(d -> "domain " + d).orElse("all"));
    }
}
