package org.dispatchmail.dist;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/** The James webadmin calls the launcher's admin commands make, with the admin token as a bearer token. */
final class WebAdminClient {
    private final URI base;
    private final Optional<String> token;
    private final Path tokenFile;

    /** @param tokenFile where the token came from, or would have, for the answer to a 401 */
    WebAdminClient(URI base, Optional<String> token, Path tokenFile) {
        this.base = base;
        this.token = token;
        this.tokenFile = tokenFile;
    }

    void addDomain(String domain) throws LaunchException {
        call("PUT", "/domains/" + encode(domain), null, "add domain " + domain);
    }

    void addUser(String address, String passwordJson) throws LaunchException {
        call("PUT", "/users/" + encode(address), "{\"password\":" + passwordJson + "}", "add user " + address);
    }

    /** Calls a route; returns the response body, or fails with the server's reason. */
    String call(String method, String path, String body, String what) throws LaunchException {
        HttpURLConnection connection = null;
        try {
            connection = (HttpURLConnection) base.resolve(path).toURL().openConnection();
            connection.setRequestMethod(method);
            connection.setConnectTimeout(5000);
            connection.setReadTimeout(60000);
            if (token.isPresent()) {
                connection.setRequestProperty("Authorization", "Bearer " + token.get());
            }
            if (body != null) {
                connection.setDoOutput(true);
                connection.setRequestProperty("Content-Type", "application/json");
                try (OutputStream out = connection.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            int status = connection.getResponseCode();
            if (status == 401) {
                throw new LaunchException("webadmin refused to " + what + ": HTTP 401, "
                    + (token.isPresent() ? "it does not accept the token of " + tokenFile + " (signed with another key,"
                        + " or expired)" : "it needs a token and there is none at " + tokenFile)
                    + "; the launcher writes one to STATE/admin-token, give another with --token-file FILE");
            }
            if (status / 100 != 2) {
                throw new LaunchException("webadmin refused to " + what + ": HTTP " + status + " " + read(connection.getErrorStream()));
            }
            return read(connection.getInputStream());
        } catch (IOException e) {
            throw new LaunchException("cannot reach James's webadmin at " + base + " (is Dispatch running?): "
                + e.getMessage());
        } finally {
            if (connection != null) {
                connection.disconnect();
            }
        }
    }

    private static String read(InputStream in) {
        if (in == null) {
            return "";
        }
        try (InputStream stream = in) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
