package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.DomainKey;
import org.dispatchmail.core.dkim.DkimKeys;

import com.fasterxml.jackson.core.JsonProcessingException;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Webadmin routes for DKIM keys (webadmin.properties: extensions.routes). No private key ever
 * leaves the server through them.
 *
 * <pre>
 * GET    /dispatch/dkim/keys[?domain=D]                 list keys
 * POST   /dispatch/dkim/keys/D[?algorithm=A&selector=S] make keys (pending until DNS shows them)
 * GET    /dispatch/dkim/keys/D/S                        one key, with its DNS record
 * POST   /dispatch/dkim/keys/D/rotate                   make successors for the domain's keys
 * POST   /dispatch/dkim/keys/D/S/retire                 stop signing with a key
 * DELETE /dispatch/dkim/keys/D/S                        delete a key
 * POST   /dispatch/dkim/check                           check DNS now: activate published keys
 * </pre>
 */
public class DkimRoutes implements Routes {
    private static final String BASE = "/dispatch/dkim";

    /** Fails with a ConfigException (503, naming dkim.masterKeyFile) when the node has no DKIM keys. */
    private final Supplier<DkimKeys> keys;

    @Inject
    public DkimRoutes(Supplier<DkimKeys> keys) {
        this.keys = keys;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/keys", RouteSupport.guarded((request, response) ->
            json(response, 200, keys().list(Optional.ofNullable(request.queryParams("domain"))))));
        service.post(BASE + "/keys/:domain", RouteSupport.guarded((request, response) ->
            json(response, 201, keys().generate(request.params("domain"), algorithms(request),
                Optional.ofNullable(request.queryParams("selector"))))));
        service.post(BASE + "/keys/:domain/rotate", RouteSupport.guarded((request, response) ->
            json(response, 201, keys().rotate(request.params("domain")))));
        service.get(BASE + "/keys/:domain/:selector", RouteSupport.guarded((request, response) -> {
            Optional<DomainKey> key = keys().key(request.params("domain"), request.params("selector"));
            return key.isPresent() ? json(response, 200, List.of(key.get()))
                : RouteSupport.error(response, 404, "no DKIM key " + request.params("selector") + " for " + request.params("domain"));
        }));
        service.post(BASE + "/keys/:domain/:selector/retire", RouteSupport.guarded((request, response) ->
            json(response, 200, List.of(keys().retire(request.params("domain"), request.params("selector"))))));
        service.delete(BASE + "/keys/:domain/:selector", RouteSupport.guarded((request, response) -> {
            if (!keys().delete(request.params("domain"), request.params("selector"))) {
                return RouteSupport.error(response, 404, "no DKIM key " + request.params("selector") + " for " + request.params("domain"));
            }
            response.status(204);
            return "";
        }));
        service.post(BASE + "/check", RouteSupport.guarded((request, response) -> json(response, 200, keys().maintain())));
    }

    private DkimKeys keys() {
        return keys.get();
    }

    private static List<DkimAlgorithm> algorithms(Request request) {
        String value = request.queryParams("algorithm");
        if (value == null || value.isEmpty() || value.equals("all")) {
            return List.of();
        }
        return List.of(DkimAlgorithm.fromTag(value));
    }

    private static String json(Response response, int status, List<DomainKey> keys) throws JsonProcessingException {
        List<Map<String, Object>> items = new ArrayList<>();
        for (DomainKey key : keys) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("domain", key.domain());
            item.put("selector", key.selector());
            item.put("algorithm", key.algorithm().tag());
            item.put("state", key.state().name().toLowerCase(java.util.Locale.ROOT));
            item.put("createdAt", key.createdAt().toString());
            item.put("activatedAt", key.activatedAt().map(Object::toString).orElse(null));
            item.put("retiredAt", key.retiredAt().map(Object::toString).orElse(null));
            item.put("deleteAfter", key.deleteAfter().map(Object::toString).orElse(null));
            item.put("dnsName", key.dnsName());
            item.put("dnsValue", key.txtValue());
            items.add(item);
        }
        return RouteSupport.json(response, status, items);
    }
}
