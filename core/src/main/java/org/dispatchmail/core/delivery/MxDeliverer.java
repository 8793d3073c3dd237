package org.dispatchmail.core.delivery;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.dispatchmail.core.routing.MailHost;
import org.dispatchmail.core.routing.MxResolution;
import org.dispatchmail.core.routing.MxResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers a message to the recipients of one domain: finds its mail servers and tries them in order. */
public final class MxDeliverer {

    private static final Logger LOG = LoggerFactory.getLogger(MxDeliverer.class);

    private final MxResolver resolver;
    private final SmtpClient client;
    private final DeliverySettings settings;

    public MxDeliverer(MxResolver resolver, SmtpClient client, DeliverySettings settings) {
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.client = Objects.requireNonNull(client, "client");
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /**
     * Resolves {@code domain}, then tries at most maxMxHosts hosts and maxAddressesPerHost addresses of each, moving
     * on while the server (not the message) is the problem. Returns one outcome per recipient; never throws.
     */
    public List<RecipientOutcome> deliver(String domain, Envelope envelope, MessageContent content) {
        Objects.requireNonNull(envelope, "envelope");
        MxResolution resolution;
        try {
            resolution = resolver.resolve(domain);
        } catch (RuntimeException e) {
            LOG.warn("MX resolution of {} failed unexpectedly", domain, e);
            resolution = MxResolution.temporaryFailure("internal error resolving " + domain + ": " + e);
        }
        switch (resolution.kind()) {
            case NULL_MX:
                return dnsOutcomes(envelope, RecipientOutcome.Status.PERMANENT, resolution.detail(),
                        RecipientOutcome.NULL_MX_STATUS);
            case NO_SUCH_DOMAIN:
                return dnsOutcomes(envelope, RecipientOutcome.Status.PERMANENT, resolution.detail(),
                        RecipientOutcome.NO_SUCH_DOMAIN_STATUS);
            case TEMPORARY_FAILURE:
                return dnsOutcomes(envelope, RecipientOutcome.Status.TEMPORARY, resolution.detail(),
                        RecipientOutcome.DNS_TEMPORARY_STATUS);
            default:
                return tryHosts(domain, resolution.hosts(), envelope, content);
        }
    }

    private List<RecipientOutcome> tryHosts(String domain, List<MailHost> hosts, Envelope envelope,
                                            MessageContent content) {
        TransactionResult last = null;
        for (MailHost host : hosts.subList(0, Math.min(hosts.size(), settings.maxMxHosts()))) {
            List<InetAddress> addresses = host.addresses();
            for (InetAddress address : addresses.subList(0, Math.min(addresses.size(),
                    settings.maxAddressesPerHost()))) {
                last = client.send(address, host.name(), envelope, content);
                if (!last.tryNextHost()) {
                    return last.outcomes();
                }
                LOG.debug("{}: {}[{}] failed, trying the next server: {}", domain, host.name(),
                        address.getHostAddress(), last.outcomes().get(0).describe());
            }
        }
        // every server failed for server-side reasons: the last one's story is as good as any
        return last.outcomes();
    }

    private static List<RecipientOutcome> dnsOutcomes(Envelope envelope, RecipientOutcome.Status status,
                                                      String detail, String enhancedStatus) {
        List<RecipientOutcome> outcomes = new ArrayList<>();
        for (String recipient : envelope.recipients()) {
            outcomes.add(RecipientOutcome.fromError(status, recipient, null, null, RecipientOutcome.STAGE_DNS,
                    detail, enhancedStatus));
        }
        return outcomes;
    }
}
