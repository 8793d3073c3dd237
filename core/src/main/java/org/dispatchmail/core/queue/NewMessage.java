package org.dispatchmail.core.queue;

import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.MessageDsn;
import org.dispatchmail.core.delivery.RecipientDsn;

/**
 * A message handed to the queue: its envelope and its RFC 5322 content (CRLF line endings), read as a
 * stream when it is stored, so a large message is never held in memory whole.
 */
public final class NewMessage {
    private final String name;
    private final String sender;
    private final List<String> recipients;
    private final MessageContent content;
    private final MessageDsn messageDsn;
    private final List<RecipientDsn> recipientDsn;

    /**
     * @param name a name unique to this mail (James's mail name): enqueuing the same name twice stores
     *             one message, so a retried hand-over never queues a duplicate
     * @param sender the reverse-path, "" for the null sender
     */
    public NewMessage(String name, String sender, List<String> recipients, byte[] content) {
        this(name, sender, recipients, MessageContent.ofBytes(content), MessageDsn.NONE,
            Collections.nCopies(recipients.size(), RecipientDsn.NONE));
    }

    /** With the client's DSN parameters (RFC 3461): one RecipientDsn per recipient, in order. */
    public NewMessage(String name, String sender, List<String> recipients, byte[] content, MessageDsn messageDsn,
                      List<RecipientDsn> recipientDsn) {
        this(name, sender, recipients, MessageContent.ofBytes(content), messageDsn, recipientDsn);
    }

    /** With content read from its source when stored (possibly more than once, if a write is repeated). */
    public NewMessage(String name, String sender, List<String> recipients, MessageContent content,
                      MessageDsn messageDsn, List<RecipientDsn> recipientDsn) {
        this.messageDsn = Objects.requireNonNull(messageDsn);
        this.recipientDsn = List.copyOf(recipientDsn);
        if (this.recipientDsn.size() != recipients.size()) {
            throw new IllegalArgumentException("one DSN entry per recipient expected");
        }
        this.name = Objects.requireNonNull(name);
        this.sender = Objects.requireNonNull(sender);
        this.recipients = List.copyOf(recipients);
        this.content = Objects.requireNonNull(content);
        if (this.recipients.isEmpty()) {
            throw new IllegalArgumentException("a message needs at least one recipient");
        }
    }

    public String name() {
        return name;
    }

    public String sender() {
        return sender;
    }

    public List<String> recipients() {
        return recipients;
    }

    public MessageContent content() {
        return content;
    }

    public MessageDsn messageDsn() {
        return messageDsn;
    }

    public RecipientDsn recipientDsn(int index) {
        return recipientDsn.get(index);
    }
}
