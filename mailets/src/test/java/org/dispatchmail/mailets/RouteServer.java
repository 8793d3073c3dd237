package org.dispatchmail.mailets;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.apache.james.webadmin.Routes;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Service;

/** Webadmin routes served by a real Spark server on a free loopback port, called over HTTP. */
final class RouteServer implements AutoCloseable {
    private final Service http;
    private final HttpClient client = HttpClient.newHttpClient();

    RouteServer(Routes routes) {
        http = Service.ignite().ipAddress("127.0.0.1").port(0);
        routes.define(http);
        http.awaitInitialization();
    }

    /** The status, content type and body of one call; {@code body} null for none. */
    static final class Answer {
        final int status;
        final String type;
        final String body;

        Answer(int status, String type, String body) {
            this.status = status;
            this.type = type;
            this.body = body;
        }

        JsonNode json() throws IOException {
            return RouteSupport.JSON.readTree(body);
        }
    }

    Answer call(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
            response.body());
    }

    @Override
    public void close() {
        http.stop();
        http.awaitStop();
    }
}
