package org.dispatchmail.core.worker;

import java.util.List;

import org.dispatchmail.core.delivery.Envelope;
import org.dispatchmail.core.delivery.MessageContent;
import org.dispatchmail.core.delivery.MxDeliverer;
import org.dispatchmail.core.delivery.RecipientOutcome;
import org.dispatchmail.core.routing.Destination;
import org.dispatchmail.core.routing.TransportRules;

/** Delivers one message to the recipients of one destination; one outcome per recipient, never throws. */
public interface DomainDelivery {

    /**
     * Where a domain's mail goes, resolved once per domain and then carried to {@link #deliver}: recipients with
     * equal destinations share one transaction (a smart host taking several domains is one destination) and the
     * destination's share of the delivery threads.
     */
    Destination destinationOf(String domain);

    /**
     * @param domain the recipients' domain; for a smart host that takes several, the first recipient's, which
     *               failure texts name
     */
    List<RecipientOutcome> deliver(Destination destination, String domain, Envelope envelope, MessageContent content);

    /** Delivery by the transport rules: each domain's destination from {@code rules}, sent by {@code deliverer}. */
    static DomainDelivery byRules(TransportRules rules, MxDeliverer deliverer) {
        return new DomainDelivery() {
            @Override
            public Destination destinationOf(String domain) {
                return rules.destinationFor(domain);
            }

            @Override
            public List<RecipientOutcome> deliver(Destination destination, String domain, Envelope envelope,
                                                  MessageContent content) {
                return deliverer.deliver(destination, domain, envelope, content);
            }
        };
    }
}
