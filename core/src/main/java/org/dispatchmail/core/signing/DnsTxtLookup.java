package org.dispatchmail.core.signing;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.dispatchmail.core.routing.MxResolver;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/** TXT lookups with dnsjava through the configured DNS servers (dns.servers), with no cache: rotation wants fresh answers. */
public final class DnsTxtLookup implements TxtLookup {
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
        List<String> values = new ArrayList<>();
        try {
            Lookup lookup = new Lookup(name, Type.TXT);
            lookup.setResolver(resolver);
            lookup.setCache(null);
            Record[] records = lookup.run();
            if (records == null) {
                return values;
            }
            for (Record record : records) {
                values.add(String.join("", ((TXTRecord) record).getStrings()));
            }
        } catch (TextParseException e) {
            throw new IllegalArgumentException("'" + name + "' is not a DNS name");
        }
        return values;
    }
}
