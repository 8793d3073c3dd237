package org.dispatchmail.mailets;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.dispatchmail.core.admin.TlsAdmin;
import org.dispatchmail.core.admin.TlsStatus;
import org.dispatchmail.core.mtasts.RefreshFailure;
import org.dispatchmail.core.mtasts.StoredPolicy;
import org.dispatchmail.core.routing.Route;

import spark.Service;

/**
 * Webadmin route for the outbound TLS policy of a recipient domain (webadmin.properties: extensions.routes).
 * Read-only: it reads the MTA-STS policy stored in Cassandra and never looks up DNS or fetches a policy.
 *
 * <pre>
 * GET /dispatch/tls/D[?format=text]      the TLS policy mail to D meets
 * </pre>
 * The JSON object:
 * <ul>
 *   <li>{@code domain}: D as delivery compares it (A-labels, lower case, no trailing dot);</li>
 *   <li>{@code source}: always "stored policy; a delivery refreshes it";</li>
 *   <li>{@code mtaStsEnabled}: whether delivery.mtaSts is on;</li>
 *   <li>{@code route}: {@code description}, {@code kind} (mx or smarthost), {@code rule} (null for the default
 *       route), {@code tls}, {@code mtaSts} (as-published, testing or off; always off for a smart host);</li>
 *   <li>{@code storedPolicy}: null, or {@code id} (of the TXT record), {@code mode}, {@code mx} (patterns),
 *       {@code maxAgeSeconds}, {@code fetchedAt}, {@code expiresAt}, {@code expired};</li>
 *   <li>{@code lastFailure}: null, or the last failed refresh: {@code id}, {@code at}, {@code error};</li>
 *   <li>{@code applies}: enforce, testing or none, what delivery would do now; {@code reason}: why.</li>
 * </ul>
 * With format=text, the lines "./dispatch tls show D" prints. An invalid domain name answers 400.
 */
public class TlsRoutes implements Routes {
    private static final String BASE = "/dispatch/tls";

    private final TlsAdmin admin;

    @Inject
    public TlsRoutes(TlsAdmin admin) {
        this.admin = admin;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/:domain", RouteSupport.guarded((request, response) -> {
            TlsStatus status = admin.show(request.params("domain"));
            return RouteSupport.wantsText(request) ? RouteSupport.plain(response, status.text())
                : RouteSupport.json(response, 200, json(status));
        }));
    }

    private static Map<String, Object> json(TlsStatus status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("domain", status.domain());
        body.put("source", TlsStatus.SOURCE);
        body.put("mtaStsEnabled", status.mtaStsEnabled());
        body.put("route", route(status.route()));
        body.put("storedPolicy", status.storedPolicy().map(policy -> policy(policy, status.expired())).orElse(null));
        body.put("lastFailure", status.lastFailure().map(TlsRoutes::failure).orElse(null));
        body.put("applies", status.applied().word());
        body.put("reason", status.reason());
        return body;
    }

    private static Map<String, Object> route(Route route) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("description", route.describe());
        item.put("kind", route.isSmartHost() ? "smarthost" : "mx");
        item.put("rule", route.rule().orElse(null));
        item.put("tls", route.tls().name().toLowerCase(Locale.ROOT));
        item.put("mtaSts", route.mtaSts().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        return item;
    }

    private static Map<String, Object> policy(StoredPolicy stored, boolean expired) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("id", stored.id());
        item.put("mode", stored.policy().mode().word());
        List<String> mx = stored.policy().mx().stream().map(Object::toString).collect(Collectors.toList());
        item.put("mx", mx);
        item.put("maxAgeSeconds", stored.policy().maxAge().getSeconds());
        item.put("fetchedAt", stored.fetchedAt().toString());
        item.put("expiresAt", stored.expiresAt().toString());
        item.put("expired", expired);
        return item;
    }

    private static Map<String, Object> failure(RefreshFailure failure) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("id", failure.id());
        item.put("at", failure.at().toString());
        item.put("error", failure.error());
        return item;
    }
}
