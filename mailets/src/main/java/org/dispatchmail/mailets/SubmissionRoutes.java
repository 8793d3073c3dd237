package org.dispatchmail.mailets;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.dispatchmail.core.submission.SubmissionUser;
import org.dispatchmail.core.submission.SubmissionUsers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Webadmin routes for submission logins (webadmin.properties: extensions.routes). Passwords go in,
 * never out.
 *
 * <pre>
 * GET    /dispatch/submission/users                  list logins and the senders they may use
 * POST   /dispatch/submission/users/L                {"password": "...", "allowedSenders": ["a@x", "@y"]}
 * PUT    /dispatch/submission/users/L/password       {"password": "..."}
 * PUT    /dispatch/submission/users/L/senders        {"allowedSenders": [...]}
 * DELETE /dispatch/submission/users/L
 * </pre>
 */
public class SubmissionRoutes implements Routes {
    private static final String BASE = "/dispatch/submission/users";

    private final SubmissionUsers users;

    @Inject
    public SubmissionRoutes(SubmissionUsers users) {
        this.users = users;
    }

    @Override
    public String getBasePath() {
        return BASE;
    }

    @Override
    public void define(Service service) {
        service.get(BASE, RouteSupport.guarded((request, response) -> json(response, 200, users.list())));
        service.post(BASE + "/:login", RouteSupport.guarded((request, response) -> {
            JsonNode body = body(request);
            return json(response, 201, List.of(users.add(request.params("login"), text(body, "password"),
                senders(body))));
        }));
        service.put(BASE + "/:login/password", RouteSupport.guarded((request, response) ->
            json(response, 200, List.of(users.setPassword(request.params("login"), text(body(request), "password"))))));
        service.put(BASE + "/:login/senders", RouteSupport.guarded((request, response) ->
            json(response, 200, List.of(users.setAllowedSenders(request.params("login"), senders(body(request)))))));
        service.delete(BASE + "/:login", RouteSupport.guarded((request, response) -> {
            if (!users.remove(request.params("login"))) {
                return RouteSupport.error(response, 404, "no submission login " + request.params("login"));
            }
            response.status(204);
            return "";
        }));
    }

    private static JsonNode body(Request request) {
        try {
            JsonNode node = RouteSupport.JSON.readTree(Optional.ofNullable(request.body()).orElse(""));
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("the request body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the request body is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("the request body needs \"" + field + "\" as a string");
        }
        return value.asText();
    }

    private static List<String> senders(JsonNode body) {
        JsonNode value = body.get("allowedSenders");
        List<String> senders = new ArrayList<>();
        if (value == null || value.isNull()) {
            return senders;
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException("\"allowedSenders\" must be an array of addresses and @domains");
        }
        value.forEach(item -> senders.add(item.asText()));
        return senders;
    }

    private static String json(Response response, int status, List<SubmissionUser> users) throws JsonProcessingException {
        List<Map<String, Object>> items = new ArrayList<>();
        for (SubmissionUser user : users) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("login", user.login());
            item.put("allowedSenders", user.allowedSenders());
            item.put("createdAt", user.createdAt().toString());
            item.put("passwordChangedAt", user.passwordChangedAt().toString());
            items.add(item);
        }
        return RouteSupport.json(response, status, items);
    }
}
