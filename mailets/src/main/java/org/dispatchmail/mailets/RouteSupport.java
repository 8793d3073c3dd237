package org.dispatchmail.mailets;

import java.util.Map;

import org.dispatchmail.core.config.ConfigException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Request;
import spark.Response;
import spark.Route;

/** What Dispatch's webadmin routes share: JSON or text on request, and errors as {"statusCode", "message"}. */
final class RouteSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private RouteSupport() {
    }

    /** Bad input answers 400 with its reason; a feature not configured answers 503 naming the parameter. */
    static Route guarded(Route route) {
        return (request, response) -> {
            try {
                return route.handle(request, response);
            } catch (IllegalArgumentException e) {
                return error(response, 400, e.getMessage());
            } catch (ConfigException e) {
                return error(response, 503, e.getMessage());
            }
        };
    }

    static String json(Response response, int status, Object body) throws JsonProcessingException {
        response.status(status);
        response.type("application/json");
        return JSON.writeValueAsString(body);
    }

    /** The client asked for the text the CLI prints ({@code ?format=text}) rather than JSON. */
    static boolean wantsText(Request request) {
        return "text".equals(request.queryParams("format"));
    }

    static String plain(Response response, String text) {
        response.status(200);
        response.type("text/plain; charset=utf-8");
        return text;
    }

    static String error(Response response, int status, String message) {
        response.status(status);
        response.type("application/json");
        try {
            return JSON.writeValueAsString(Map.of("statusCode", status, "message", String.valueOf(message)));
        } catch (JsonProcessingException e) {
            return "{}";
        }
    }
}
