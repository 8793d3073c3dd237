package org.dispatchmail.core.dkim;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.dispatchmail.core.dkim.KeyRecordLookup;
import org.dispatchmail.core.routing.MxResolver;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * TXT lookups with dnsjava through the configured DNS servers (dns.servers), with no cache: rotation wants fresh
 * answers, and a verifier's key lookups tell a name without records from a DNS that did not answer.
 */
public final class DnsTxtLookup implements TxtLookup, KeyRecordLookup {
    private final Resolver resolver;

    public DnsTxtLookup(List<String> servers, Duration timeout) {
        if (servers.isEmpty()) {
            this.resolver = new ExtendedResolver();
        } else {
            List<Resolver> resolvers = new ArrayList<>();
            for (String server : servers) {
                InetSocketAddress address = MxResolver.parseServer(server);
                resolvers.add(new SimpleResolver(address));
            }
            this.resolver = new ExtendedResolver(resolvers);
        }
        resolver.setTimeout(timeout);
    }

    @Override
    public List<String> txt(String name) {
        return records(name).orElse(List.of());
    }

    @Override
    public Optional<List<String>> records(String name) {
        Lookup lookup;
        try {
            lookup = new Lookup(name, Type.TXT);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not a DNS name");
        }
        lookup.setResolver(resolver);
        lookup.setCache(null);
        Record[] records = lookup.run();
        int result = lookup.getResult();
        if (result == Lookup.TRY_AGAIN || result == Lookup.UNRECOVERABLE) {
            return Optional.empty();
        }
        List<String> values = new ArrayList<>();
        if (records != null) {
            for (Record record : records) {
                values.add(String.join("", ((TXTRecord) record).getStrings()));
            }
        }
        return Optional.of(values);
    }
}
