package org.dispatchmail.core.routing;

import java.net.InetAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.config.SecretFile;

/**
 * Which {@link Route} mail for a recipient domain takes, from the transport.* rules of dispatch.properties.
 *
 * <p>The most specific pattern wins, whatever the order of the rules (as Postfix's transport map looks up the full
 * domain before its parents): an exact domain, then the longest "*.suffix" wildcard, then "*"; a domain no rule
 * matches goes to its MX hosts with the TLS policy of delivery.tls. A pattern may belong to one rule only, so the
 * choice is never ambiguous. Names are compared as lower-case A-labels, so U-labels in the configuration and in
 * addresses match their A-label forms.
 */
public final class TransportRules {

    public static final String RULES_KEY = "transport.rules";
    public static final String DELIVERY_TLS_KEY = "delivery.tls";

    private static final Pattern RULE_NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final int DEFAULT_SMTP_PORT = 25;
    private static final int DEFAULT_IMPLICIT_TLS_PORT = 465;

    private final Route defaultRoute;
    private final Map<String, Route> exact;
    private final Map<String, Route> subdomainsOf;
    private final Route anyDomain;
    private final List<String> summary;

    private TransportRules(Route defaultRoute, Map<String, Route> exact, Map<String, Route> subdomainsOf,
                           Route anyDomain, List<String> summary) {
        this.defaultRoute = defaultRoute;
        this.exact = Map.copyOf(exact);
        this.subdomainsOf = Map.copyOf(subdomainsOf);
        this.anyDomain = anyDomain;
        this.summary = List.copyOf(summary);
    }

    /** No rules: every domain goes to its MX hosts with this TLS policy. */
    public static TransportRules mxOnly(TlsPolicy tls) {
        return new TransportRules(Route.mx(Optional.empty(), tls), Map.of(), Map.of(), null, List.of());
    }

    /**
     * Reads transport.rules, the transport.NAME.* keys of each rule it names, and delivery.tls.
     *
     * @throws org.dispatchmail.core.config.ConfigException naming the exact key of the first mistake
     */
    public static TransportRules from(ConfigReader config) {
        Route defaultRoute = Route.mx(Optional.empty(), deliveryTls(config));
        Map<String, Route> exact = new HashMap<>();
        Map<String, Route> subdomainsOf = new HashMap<>();
        Map<String, String> ownerOfPattern = new HashMap<>();
        Route anyDomain = null;
        List<String> summary = new ArrayList<>();
        for (String name : ruleNames(config)) {
            Route route = parseRule(config, name);
            String domainsKey = key(name, "domains");
            List<String> patterns = config.list(domainsKey);
            if (patterns.isEmpty()) {
                throw config.error(domainsKey, "is required: the recipient domains of transport '" + name
                        + "', e.g. example.com,*.example.com (or * for every domain)");
            }
            List<String> normalised = new ArrayList<>();
            for (String pattern : patterns) {
                String canonical = config.parse(domainsKey, pattern, TransportRules::canonicalPattern);
                String owner = ownerOfPattern.putIfAbsent(canonical, name);
                if (owner != null) {
                    throw config.error(domainsKey, owner.equals(name)
                            ? "lists '" + pattern + "' twice"
                            : "'" + pattern + "' is already routed by " + key(owner, "domains")
                                    + ": a domain pattern may belong to one transport only");
                }
                if (canonical.equals("*")) {
                    anyDomain = route;
                } else if (canonical.startsWith("*.")) {
                    subdomainsOf.put(canonical.substring(2), route);
                } else {
                    exact.put(canonical, route);
                }
                normalised.add(canonical);
            }
            summary.add(String.join(",", normalised) + " -> " + route.describe());
        }
        return new TransportRules(defaultRoute, exact, subdomainsOf, anyDomain, summary);
    }

    private static List<String> ruleNames(ConfigReader config) {
        List<String> names = config.list(RULES_KEY);
        Set<String> seen = new HashSet<>();
        for (String name : names) {
            if (!RULE_NAME.matcher(name).matches()) {
                throw config.error(RULES_KEY, "'" + name + "' is not a valid transport name (letters, digits, '-' "
                        + "and '_' only)");
            }
            if (!seen.add(name)) {
                throw config.error(RULES_KEY, "names '" + name + "' twice");
            }
        }
        return names;
    }

    /**
     * The route for mail to {@code domain} (a U-label or A-label name, any case, trailing dot or not).
     *
     * @throws IllegalArgumentException when {@code domain} is not a valid domain name, saying why
     */
    public Route routeFor(String domain) {
        String ascii = DomainNames.toAscii(domain);
        Route route = exact.get(ascii);
        if (route != null) {
            return route;
        }
        // parents from the longest down: the first wildcard found is the most specific one
        for (int dot = ascii.indexOf('.'); dot >= 0; dot = ascii.indexOf('.', dot + 1)) {
            route = subdomainsOf.get(ascii.substring(dot + 1));
            if (route != null) {
                return route;
            }
        }
        return anyDomain != null ? anyDomain : defaultRoute;
    }

    /**
     * Where mail to {@code domain} goes, resolved once and carried to the deliverer: its MX hosts along the route
     * of its rule, the smart host of its rule, or no route when {@code domain} is not a valid domain name. Never
     * throws.
     */
    public Destination destinationFor(String domain) {
        Route route;
        try {
            route = routeFor(domain);
        } catch (IllegalArgumentException notADomainName) {
            return Destination.unroutable(domain, notADomainName.getMessage());
        }
        return route.isSmartHost() ? Destination.smartHost(route) : Destination.mx(DomainNames.toAscii(domain), route);
    }

    /** The route of domains that no rule matches. */
    public Route defaultRoute() {
        return defaultRoute;
    }

    /** One line per rule, "patterns -> route", then the default; for the start-up log. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>(summary);
        lines.add((anyDomain != null ? "(unused) " : "") + "other domains -> " + defaultRoute.describe());
        return lines;
    }

    @Override
    public String toString() {
        return "TransportRules" + describe();
    }

    private static TlsPolicy deliveryTls(ConfigReader config) {
        TlsPolicy tls = tlsPolicy(config, DELIVERY_TLS_KEY, TlsPolicy.OPPORTUNISTIC);
        if (tls == TlsPolicy.IMPLICIT) {
            throw config.error(DELIVERY_TLS_KEY, "cannot be implicit: MX hosts take STARTTLS on port 25 (none, "
                    + "opportunistic or required)");
        }
        return tls;
    }

    private static Route parseRule(ConfigReader config, String name) {
        String routeKey = key(name, "route");
        String routeText = config.string(routeKey, "mx").toLowerCase(Locale.ROOT);
        if (!routeText.equals("mx") && !routeText.equals("smarthost")) {
            throw config.error(routeKey, "'" + config.string(routeKey, "") + "' is not mx or smarthost");
        }
        boolean smartHost = routeText.equals("smarthost");
        String tlsKey = key(name, "tls");
        TlsPolicy tls = tlsPolicy(config, tlsKey, smartHost ? TlsPolicy.REQUIRED : TlsPolicy.OPPORTUNISTIC);
        String hostKey = key(name, "host");
        Optional<String> hostText = config.optional(hostKey);
        Optional<SmtpCredentials> credentials = credentials(config, name);
        String mtaStsKey = key(name, "mtaSts");
        MtaStsOverride mtaSts = mtaStsOverride(config, mtaStsKey);

        if (!smartHost) {
            if (hostText.isPresent()) {
                throw config.error(hostKey, "is only for route=smarthost; route=mx delivers to the MX hosts of "
                        + "each domain (set " + routeKey + "=smarthost to relay through " + hostText.get() + ")");
            }
            if (tls == TlsPolicy.IMPLICIT) {
                throw config.error(tlsKey, "cannot be implicit with route=mx: MX hosts take STARTTLS on port 25 "
                        + "(none, opportunistic or required)");
            }
            if (credentials.isPresent()) {
                throw config.error(key(name, "username"), "is only for route=smarthost: MX hosts take no login");
            }
            return Route.mx(Optional.of(name), tls, mtaSts);
        }
        if (config.optional(mtaStsKey).isPresent()) {
            throw config.error(mtaStsKey, "is only for route=mx: a smart host never applies MTA-STS, it follows "
                    + key(name, "tls"));
        }

        String hostPort = hostText.orElseThrow(() -> config.error(hostKey, "is required for route=smarthost: "
                + "host, host:port, [host]:port or [IPv6 address]:port"));
        HostAndPort relay = config.parse(hostKey, hostPort, text -> HostAndPort.parse(text,
                tls == TlsPolicy.IMPLICIT ? DEFAULT_IMPLICIT_TLS_PORT : DEFAULT_SMTP_PORT));
        if (credentials.isPresent() && (tls == TlsPolicy.NONE || tls == TlsPolicy.OPPORTUNISTIC)) {
            throw config.error(tlsKey, "is " + tls.name().toLowerCase(Locale.ROOT) + ", which could send the "
                    + "password of " + key(name, "username") + " unencrypted (no STARTTLS offered, or one stripped "
                    + "by an attacker): use required or implicit");
        }
        return Route.smartHost(name, relay.host, relay.port, tls, credentials);
    }

    private static Optional<SmtpCredentials> credentials(ConfigReader config, String name) {
        String userKey = key(name, "username");
        String fileKey = key(name, "passwordFile");
        String passwordKey = key(name, "password");
        Optional<String> username = config.optional(userKey);
        Optional<String> file = config.optional(fileKey);
        Optional<String> password = config.optional(passwordKey);
        if (file.isPresent() && password.isPresent()) {
            throw config.error(passwordKey, "and " + fileKey + " are both set: keep one (" + fileKey
                    + " keeps the password out of this file)");
        }
        if (username.isEmpty()) {
            if (file.isPresent() || password.isPresent()) {
                throw config.error(file.isPresent() ? fileKey : passwordKey, "is set without " + userKey);
            }
            return Optional.empty();
        }
        if (file.isEmpty() && password.isEmpty()) {
            throw config.error(userKey, "is set without a password: set " + fileKey + " (or " + passwordKey + ")");
        }
        String secret = file.isPresent() ? readPassword(config, fileKey, file.get()) : password.get();
        if (secret.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            throw config.error(file.isPresent() ? fileKey : passwordKey,
                    "holds a password with a line break or NUL, which SMTP AUTH cannot send");
        }
        return Optional.of(new SmtpCredentials(username.get(), secret));
    }

    private static String readPassword(ConfigReader config, String key, String fileName) {
        Path path;
        try {
            path = Paths.get(fileName);
        } catch (InvalidPathException e) {
            throw config.error(key, "'" + fileName + "' is not a file name: " + e.getMessage());
        }
        String password;
        try {
            password = SecretFile.read(path);
        } catch (IllegalArgumentException e) {
            throw config.error(key, e.getMessage());
        }
        if (password.isEmpty()) {
            throw config.error(key, "'" + fileName + "' is empty");
        }
        return password;
    }

    /** Absent: policies apply as published; "testing" or "off" (any case) override them; anything else is refused. */
    private static MtaStsOverride mtaStsOverride(ConfigReader config, String key) {
        Optional<String> text = config.optional(key);
        if (text.isEmpty()) {
            return MtaStsOverride.AS_PUBLISHED;
        }
        if (text.get().equalsIgnoreCase("testing")) {
            return MtaStsOverride.TESTING;
        }
        if (text.get().equalsIgnoreCase("off")) {
            return MtaStsOverride.OFF;
        }
        throw config.error(key, "'" + text.get() + "' is not testing or off (leave it unset to apply each domain's "
                + "MTA-STS policy as published)");
    }

    private static TlsPolicy tlsPolicy(ConfigReader config, String key, TlsPolicy defaultValue) {
        Optional<String> text = config.optional(key);
        if (text.isEmpty()) {
            return defaultValue;
        }
        for (TlsPolicy policy : TlsPolicy.values()) {
            if (policy.name().equalsIgnoreCase(text.get())) {
                return policy;
            }
        }
        throw config.error(key, "'" + text.get() + "' is not one of none, opportunistic, required, implicit");
    }

    // "*", "*.example.com" or "example.com", with the name part as a lower-case A-label
    private static String canonicalPattern(String pattern) {
        if (pattern.equals("*")) {
            return pattern;
        }
        if (pattern.startsWith("*.")) {
            String parent = pattern.substring(2);
            if (parent.indexOf('*') >= 0) {
                throw new IllegalArgumentException("'*' may only stand alone or start a pattern, as in *.example.com");
            }
            return "*." + DomainNames.toAscii(parent);
        }
        if (pattern.indexOf('*') >= 0) {
            throw new IllegalArgumentException("'*' may only stand alone or start a pattern, as in *.example.com");
        }
        if (pattern.startsWith("[")) {
            throw new IllegalArgumentException("address literals cannot be routed; use a domain name");
        }
        return DomainNames.toAscii(pattern);
    }

    private static String key(String rule, String property) {
        return "transport." + rule + "." + property;
    }

    /** A smart host as configured: a host name or IP literal, with brackets or not, and a port. */
    private static final class HostAndPort {
        final String host;
        final int port;

        private HostAndPort(String host, int port) {
            this.host = host;
            this.port = port;
        }

        static HostAndPort parse(String text, int defaultPort) {
            String host;
            String port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("missing ']'");
                }
                host = text.substring(1, close);
                String rest = text.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw new IllegalArgumentException("expected ':port' after ']'");
                    }
                    port = rest.substring(1);
                }
            } else {
                int colon = text.indexOf(':');
                if (colon >= 0 && colon != text.lastIndexOf(':')) {
                    throw new IllegalArgumentException("an IPv6 address goes in brackets, as in [2001:db8::1]:587");
                }
                host = colon < 0 ? text : text.substring(0, colon);
                port = colon < 0 ? null : text.substring(colon + 1);
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("no host name");
            }
            Optional<InetAddress> literal = DomainNames.ipLiteral(host);
            String canonical = literal.isPresent() ? literal.get().getHostAddress() : DomainNames.toAscii(host);
            return new HostAndPort(canonical, port == null ? defaultPort : parsePort(port));
        }

        private static int parsePort(String text) {
            try {
                int port = Integer.parseInt(text);
                if (port >= 1 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("port must be 1-65535, got '" + text + "'");
        }
    }
}
