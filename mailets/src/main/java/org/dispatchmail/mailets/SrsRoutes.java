package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.dispatchmail.core.secrets.Secret;
import org.dispatchmail.core.srs.SrsKeys;

import com.fasterxml.jackson.core.JsonProcessingException;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Webadmin routes for the SRS key (webadmin.properties: extensions.routes). They show versions and dates, never a
 * key.
 *
 * <pre>
 * GET  /dispatch/srs/keys                        the kept versions, newest (the one that signs) first
 * POST /dispatch/srs/rotate                      a new version signs from now on; the older ones still check
 * POST /dispatch/srs/retire[?keep=N][&amp;force=true] remove all but the N (default 1) newest versions; refused
 *                                                (409) while addresses they signed are younger than srs.maxAge
 * </pre>
 */
public class SrsRoutes implements Routes {
    private static final String BASE = "/dispatch/srs";

    private final SrsKeys srsKeys;

    @Inject
    public SrsRoutes(SrsKeys srsKeys) {
        this.srsKeys = srsKeys;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE + "/keys", RouteSupport.guarded((request, response) -> keys(response, 200)));
        service.post(BASE + "/rotate", RouteSupport.guarded((request, response) -> {
            srsKeys.rotate();
            return keys(response, 201);
        }));
        service.post(BASE + "/retire", RouteSupport.guarded((request, response) -> {
            SrsKeys.Retirement retirement = srsKeys.retire(keep(request), "true".equals(request.queryParams("force")));
            if (retirement.refused()) {
                return RouteSupport.error(response, 409, retirement.refusal());
            }
            return keys(response, 200);
        }));
    }

    private static int keep(Request request) {
        String value = request.queryParams("keep");
        if (value == null || value.isEmpty()) {
            return 1;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("keep must be a whole number, not '" + value + "'");
        }
    }

    private String keys(Response response, int status) throws JsonProcessingException {
        List<Map<String, Object>> items = new ArrayList<>();
        List<Secret> versions = srsKeys.versions();
        for (Secret version : versions) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("version", String.valueOf(version.version()));
            item.put("createdAt", version.createdAt().toString());
            item.put("use", items.isEmpty() ? "signs and checks" : "checks");
            items.add(item);
        }
        return RouteSupport.json(response, status, items);
    }
}
