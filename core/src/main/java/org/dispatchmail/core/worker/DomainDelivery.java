package org.dispatchmail.core.worker;

import java.util.List;

import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.RecipientOutcome;

/** Delivers one message to the recipients of one domain; one outcome per recipient, never throws. */
@FunctionalInterface
public interface DomainDelivery {
    List<RecipientOutcome> deliver(String domain, Envelope envelope, MessageContent content);

    /**
     * Where a domain's mail goes: recipients with the same destination share one transaction. By default
     * each domain is its own; a smart host taking several domains is one destination.
     */
    default String destinationOf(String domain) {
        return domain;
    }

    /** The route a domain's mail takes, as the per-attempt log line names it: "mx", "mx:rule" or "smarthost:rule". */
    default String routeOf(String domain) {
        return "mx";
    }
}
