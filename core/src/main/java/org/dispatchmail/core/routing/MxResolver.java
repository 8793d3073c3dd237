package org.dispatchmail.core.routing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupFailedException;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;
import org.xbill.DNS.lookup.ServerFailedException;

/** Finds the mail servers of a domain following RFC 5321 §5.1, RFC 7505 (null MX) and IDNA. */
public final class MxResolver {

    private static final Logger LOG = LoggerFactory.getLogger(MxResolver.class);

    private static final int DEFAULT_DNS_PORT = 53;
    private static final Pattern IPV4_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?");
    private static final Duration SHORTEST_ATTEMPT = Duration.ofMillis(500);
    /**
     * The longest a negative answer (NXDOMAIN, no records of a type) is kept, whatever its SOA says (RFC 2308 lets a
     * zone ask for hours): at RCPT such an answer refuses mail for good, so a domain that has just been created or
     * fixed must be accepted within minutes.
     */
    static final Duration NEGATIVE_TTL_CAP = Duration.ofMinutes(5);

    private final LookupSession session;
    private final DnsAnswerCache answers;
    private final Duration timeout;
    private final String serversText;

    /**
     * @param servers DNS servers as "host:port", "[ipv6]:port" or a bare address (port 53); empty means the
     *                system's resolvers
     * @param timeout how long one DNS query may take, retries included
     * @throws IllegalArgumentException when a server cannot be parsed or the timeout is not positive
     */
    public MxResolver(List<String> servers, Duration timeout) {
        this(servers, timeout, DnsCacheSettings.defaults(), Clock.systemUTC());
    }

    /**
     * As {@link #MxResolver(List, Duration)}, with positive answers kept as {@code cache} says, timed by
     * {@code clock}.
     */
    public MxResolver(List<String> servers, Duration timeout, DnsCacheSettings cache, Clock clock) {
        Objects.requireNonNull(servers, "servers");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("DNS timeout must be positive: " + timeout);
        }
        List<InetSocketAddress> addresses = servers.isEmpty()
                ? ResolverConfig.getCurrentConfig().servers()
                : servers.stream().map(MxResolver::parseServer).collect(Collectors.toList());
        this.timeout = timeout;
        this.serversText = addresses.stream().map(MxResolver::describe).collect(Collectors.joining(", "));
        this.answers = new DnsAnswerCache(cache, clock);
        // Caches of our own: answers from one set of servers must never leak into a resolver using another. Records
        // are kept by the answer cache alone, for their TTL from the time they arrived; dnsjava's cache keeps only
        // negative answers, for their SOA's negative TTL (RFC 2308), which the lookup's result does not show.
        Cache negativeAnswers = new Cache(DClass.IN);
        negativeAnswers.setMaxCache(0);
        negativeAnswers.setMaxNCache((int) NEGATIVE_TTL_CAP.toSeconds());
        negativeAnswers.setMaxEntries(Math.max(1, cache.size()));
        this.session = LookupSession.builder()
                .resolver(resolverFor(addresses, timeout))
                .cache(negativeAnswers)
                .build();
    }

    /**
     * Parses "10.0.0.1", "10.0.0.1:5353", "[::1]:53", "::1" or "dns.example:53" (the port defaults to 53).
     *
     * @throws IllegalArgumentException when the text is not such an address
     */
    public static InetSocketAddress parseServer(String hostPort) {
        if (hostPort == null || hostPort.isBlank()) {
            throw new IllegalArgumentException("DNS server address is empty");
        }
        String text = hostPort.trim();
        String host;
        String port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("DNS server '" + hostPort + "': missing ']' after IPv6 address");
            }
            host = text.substring(1, close);
            String rest = text.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("DNS server '" + hostPort + "': expected ':port' after ']'");
                }
                port = rest.substring(1);
            }
            if (host.indexOf(':') < 0) {
                throw new IllegalArgumentException("DNS server '" + hostPort + "': brackets are for IPv6 addresses");
            }
        } else if (text.indexOf(':') != text.lastIndexOf(':')) {
            host = text; // a bare IPv6 address: several colons and no brackets, so no port
        } else {
            int colon = text.indexOf(':');
            host = colon < 0 ? text : text.substring(0, colon);
            port = colon < 0 ? null : text.substring(colon + 1);
        }
        return new InetSocketAddress(serverAddress(host, hostPort), serverPort(port, hostPort));
    }

    private static InetAddress serverAddress(String host, String original) {
        boolean ipv6 = host.indexOf(':') >= 0;
        if (!ipv6 && IPV4_LITERAL.matcher(host).matches()) {
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw new IllegalArgumentException("DNS server '" + original + "': invalid IPv4 address");
                }
            }
        } else if (!ipv6 && !HOST_NAME.matcher(host).matches()) {
            throw new IllegalArgumentException("DNS server '" + original + "': not an IP address or host name");
        }
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("DNS server '" + original + "': cannot resolve '" + host + "'", e);
        }
    }

    private static int serverPort(String port, String original) {
        if (port == null) {
            return DEFAULT_DNS_PORT;
        }
        try {
            int value = Integer.parseInt(port);
            if (value >= 1 && value <= 65535) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("DNS server '" + original + "': port must be 1-65535, got '" + port + "'");
    }

    // Each server gets two tries within the overall timeout, so one lost UDP packet does not fail a lookup.
    private static Resolver resolverFor(List<InetSocketAddress> servers, Duration timeout) {
        Duration perAttempt = timeout.dividedBy(2L * Math.max(1, servers.size()));
        if (perAttempt.compareTo(SHORTEST_ATTEMPT) < 0) {
            perAttempt = timeout.compareTo(SHORTEST_ATTEMPT) < 0 ? timeout : SHORTEST_ATTEMPT;
        }
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress server : servers) {
            SimpleResolver resolver = new SimpleResolver(server);
            resolver.setTimeout(perAttempt);
            resolvers.add(resolver);
        }
        ExtendedResolver resolver = new ExtendedResolver(resolvers);
        resolver.setTimeout(timeout);
        resolver.setRetries(2);
        return resolver;
    }

    /** Where mail for {@code domain} goes. Never throws for DNS problems: they are a {@link MxResolution}. */
    public MxResolution resolve(String domain) {
        Name name;
        try {
            name = lookupName(domain);
        } catch (IllegalArgumentException e) {
            return MxResolution.noSuchDomain(e.getMessage());
        }
        String ascii = name.toString(true);
        DnsAnswer mx = awaitAnswer(query(name, Type.MX));
        switch (mx.kind()) {
            case NO_SUCH_DOMAIN:
                return MxResolution.noSuchDomain(ascii + ": " + mx.problem());
            case FAILED:
                return MxResolution.temporaryFailure("MX lookup for " + ascii + " failed: " + mx.problem());
            case NO_DATA:
                return implicitMx(name);
            default:
                return fromMxRecords(name, mx.records());
        }
    }

    /**
     * The addresses of one named server, such as a smart host: A and AAAA records only, never MX. An IP literal
     * (192.0.2.1, 2001:db8::1) is used as it is. The result is HOSTS with one host (preference 0, not implicit),
     * NO_SUCH_DOMAIN when the name does not exist or has no address, or TEMPORARY_FAILURE. Never throws for DNS
     * problems.
     */
    public MxResolution resolveHost(String host) {
        try {
            Optional<InetAddress> literal = DomainNames.ipLiteral(host == null ? "" : host.trim());
            if (literal.isPresent()) {
                return MxResolution.hosts(List.of(new MailHost(literal.get().getHostAddress(), 0,
                        List.of(literal.get()), false)), null);
            }
        } catch (IllegalArgumentException e) {
            return MxResolution.noSuchDomain(e.getMessage());
        }
        Name name;
        try {
            name = lookupName(host);
        } catch (IllegalArgumentException e) {
            return MxResolution.noSuchDomain(e.getMessage());
        }
        String ascii = name.toString(true);
        HostAddresses found = awaitAddresses(addressesOf(name));
        if (!found.addresses.isEmpty()) {
            return MxResolution.hosts(List.of(new MailHost(ascii, 0, found.addresses, false)), null);
        }
        if (found.temporary) {
            return MxResolution.temporaryFailure("address lookup for " + ascii + " failed: " + found.problem);
        }
        return MxResolution.noSuchDomain(ascii + ": " + found.problem);
    }

    /** The lower-case A-label form of the domain ({@link DomainNames#toAscii}) as an absolute DNS name. */
    private static Name lookupName(String domain) {
        String ascii = DomainNames.toAscii(domain);
        try {
            return Name.fromString(ascii, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("invalid domain name '" + domain + "': " + e.getMessage());
        }
    }

    // RFC 5321 §5.1: without MX records the domain itself is the mail host, if it has an address.
    private MxResolution implicitMx(Name name) {
        String ascii = name.toString(true);
        HostAddresses own = awaitAddresses(addressesOf(name));
        if (!own.addresses.isEmpty()) {
            return MxResolution.hosts(List.of(new MailHost(ascii, 0, own.addresses, true)), null);
        }
        if (own.temporary) {
            return MxResolution.temporaryFailure("address lookup for " + ascii + " (no MX) failed: " + own.problem);
        }
        return MxResolution.noSuchDomain(ascii + ": no MX and no address");
    }

    private MxResolution fromMxRecords(Name domain, List<org.xbill.DNS.Record> records) {
        String ascii = domain.toString(true);
        List<MXRecord> mxs = new ArrayList<>();
        for (org.xbill.DNS.Record record : records) {
            if (record instanceof MXRecord) {
                mxs.add((MXRecord) record);
            }
        }
        // RFC 7505: "MX 0 ." says the domain accepts no mail; a "." among real hosts is just an unusable target
        List<MXRecord> usable = mxs.stream().filter(mx -> !mx.getTarget().equals(Name.root))
                .collect(Collectors.toList());
        if (usable.isEmpty()) {
            return MxResolution.nullMx(ascii + " publishes a null MX: it accepts no mail");
        }

        List<MailHost> hosts = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        Set<Name> seen = new HashSet<>();
        for (MXRecord mx : inPreferenceOrder(usable)) {
            if (!seen.add(mx.getTarget())) {
                continue; // a target listed twice keeps its best place
            }
            String hostName = mx.getTarget().toString(true);
            HostAddresses found = awaitAddresses(addressesOf(mx.getTarget()));
            if (found.addresses.isEmpty()) {
                skipped.add(hostName + ": " + found.problem);
            } else {
                hosts.add(new MailHost(hostName, mx.getPriority(), found.addresses, false));
            }
        }
        if (hosts.isEmpty()) {
            return MxResolution.temporaryFailure(
                    "no MX host of " + ascii + " has an address (" + String.join("; ", skipped) + ")");
        }
        if (!skipped.isEmpty()) {
            LOG.debug("MX hosts of {} skipped: {}", ascii, skipped);
        }
        return MxResolution.hosts(hosts, skipped.isEmpty() ? null : "skipped " + String.join("; ", skipped));
    }

    // Lowest preference first; equal preferences in random order to spread the load (RFC 5321 §5.1).
    private static List<MXRecord> inPreferenceOrder(List<MXRecord> mxs) {
        List<MXRecord> shuffled = new ArrayList<>(mxs);
        Collections.shuffle(shuffled, ThreadLocalRandom.current());
        shuffled.sort((a, b) -> Integer.compare(a.getPriority(), b.getPriority())); // stable: keeps the shuffle
        return shuffled;
    }

    /**
     * A, then AAAA, of one host. One query at a time on purpose: dnsjava 3.5.2's shared NIO selector can hold a
     * new query back for up to a second while answers to other in-flight queries are being read.
     */
    private CompletableFuture<HostAddresses> addressesOf(Name host) {
        return query(host, Type.A)
                .thenCompose(a -> query(host, Type.AAAA).thenApply(aaaa -> HostAddresses.from(a, aaaa)));
    }

    private CompletableFuture<DnsAnswer> query(Name name, int type) {
        Optional<DnsAnswer> kept = answers.get(name, type);
        if (kept.isPresent()) {
            return CompletableFuture.completedFuture(kept.get());
        }
        return session.lookupAsync(name, type).toCompletableFuture()
                .handle((result, failure) -> {
                    DnsAnswer answer = failure == null
                            ? DnsAnswer.records(ofType(result.getRecords(), type))
                            : answerFor(failure, name, type);
                    answers.put(name, type, answer);
                    return answer;
                });
    }

    private static List<org.xbill.DNS.Record> ofType(List<org.xbill.DNS.Record> records, int type) {
        return records.stream().filter(r -> r.getType() == type).collect(Collectors.toList());
    }

    private DnsAnswer answerFor(Throwable failure, Name name, int type) {
        Throwable cause = unwrap(failure);
        if (cause instanceof NoSuchDomainException) {
            return DnsAnswer.noSuchDomain();
        }
        if (cause instanceof NoSuchRRSetException) {
            return DnsAnswer.noData();
        }
        String problem;
        if (cause instanceof ServerFailedException) {
            problem = "server failure (SERVFAIL)";
        } else if (cause instanceof SocketTimeoutException) {
            problem = tooLate();
        } else if (cause instanceof PortUnreachableException) {
            problem = "nothing listens on " + serversText + " (port unreachable)";
        } else if (cause instanceof LookupFailedException || cause instanceof IOException) {
            problem = (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName())
                    + " (servers " + serversText + ")";
        } else {
            LOG.warn("unexpected failure looking up {}/{}", name, Type.string(type), cause);
            problem = cause.toString();
        }
        return DnsAnswer.failed(problem);
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * Waits for an answer. dnsjava bounds each query by the timeout, but a query already in flight may run a
     * little past it; this is the backstop so that resolve() can never hang.
     */
    private <T> T await(CompletableFuture<T> future, T whenTooLate) {
        long deadlineMillis = timeout.toMillis() * 2 + 1000;
        try {
            return future.get(deadlineMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            return whenTooLate;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return whenTooLate;
        } catch (ExecutionException e) {
            // the futures here complete normally by construction
            throw new IllegalStateException(e.getCause());
        }
    }

    private DnsAnswer awaitAnswer(CompletableFuture<DnsAnswer> future) {
        return await(future, DnsAnswer.failed(tooLate()));
    }

    private HostAddresses awaitAddresses(CompletableFuture<HostAddresses> future) {
        return await(future, new HostAddresses(List.of(), true, tooLate()));
    }

    private String tooLate() {
        return "no answer within " + timeout.toMillis() + " ms from " + serversText;
    }

    private static String describe(InetSocketAddress server) {
        String host = server.getAddress() != null ? server.getAddress().getHostAddress() : server.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + server.getPort();
    }

    @Override
    public String toString() {
        return "MxResolver{servers=" + serversText + ", timeout=" + timeout + "}";
    }

    /** The addresses found for one host, or why there are none. */
    private static final class HostAddresses {
        final List<InetAddress> addresses;
        final boolean temporary;
        final String problem;

        private HostAddresses(List<InetAddress> addresses, boolean temporary, String problem) {
            this.addresses = addresses;
            this.temporary = temporary;
            this.problem = problem;
        }

        static HostAddresses from(DnsAnswer a, DnsAnswer aaaa) {
            List<InetAddress> addresses = new ArrayList<>();
            addresses.addAll(shuffled(a, ARecord.class));
            addresses.addAll(shuffled(aaaa, AAAARecord.class));
            boolean temporary = a.kind() == DnsAnswer.Kind.FAILED || aaaa.kind() == DnsAnswer.Kind.FAILED;
            String problem = null;
            if (addresses.isEmpty()) {
                if (a.kind() == DnsAnswer.Kind.FAILED) {
                    problem = "A lookup failed: " + a.problem();
                } else if (aaaa.kind() == DnsAnswer.Kind.FAILED) {
                    problem = "AAAA lookup failed: " + aaaa.problem();
                } else if (a.kind() == DnsAnswer.Kind.NO_SUCH_DOMAIN) {
                    problem = "no such host (NXDOMAIN)";
                } else {
                    problem = "no A or AAAA record";
                }
            }
            return new HostAddresses(List.copyOf(addresses), temporary, problem);
        }

        // Addresses of one family in random order, so a cached answer does not send every message to the same one.
        private static List<InetAddress> shuffled(DnsAnswer answer, Class<? extends org.xbill.DNS.Record> type) {
            List<InetAddress> addresses = new ArrayList<>();
            for (org.xbill.DNS.Record record : answer.records()) {
                if (record instanceof ARecord && type == ARecord.class) {
                    addresses.add(((ARecord) record).getAddress());
                } else if (record instanceof AAAARecord && type == AAAARecord.class) {
                    addresses.add(((AAAARecord) record).getAddress());
                }
            }
            Collections.shuffle(addresses, ThreadLocalRandom.current());
            return addresses;
        }
    }
}
