package org.dispatchmail.core.worker;

import java.util.List;

import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;

/** Delivers one message to the recipients of one domain; one outcome per recipient, never throws. */
@FunctionalInterface
public interface DomainDelivery {
    List<RecipientOutcome> deliver(String domain, Envelope envelope, MessageContent content);
}
