package org.dispatchmail.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/** "dispatch tls show DOMAIN" against a stand-in webadmin: what it asks, what it prints, how it exits. */
class TlsShowCommandTest {
    private static final String SHOWN = "domain:          example.org\nmta-sts applies: enforce (...)\n";

    @TempDir
    Path dir;

    private HttpServer webadmin;
    private final List<String> asked = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        webadmin = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        webadmin.createContext("/dispatch/tls/", this::answer);
        webadmin.start();
    }

    @AfterEach
    void stop() {
        webadmin.stop(0);
    }

    private void answer(HttpExchange exchange) throws IOException {
        asked.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + "?"
            + exchange.getRequestURI().getRawQuery());
        boolean valid = exchange.getRequestURI().getPath().equals("/dispatch/tls/example.org");
        byte[] body = (valid ? SHOWN
            : "{\"statusCode\":400,\"message\":\"invalid domain name 'bad..example': empty label\"}")
            .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", valid ? "text/plain; charset=utf-8" : "application/json");
        exchange.sendResponseHeaders(valid ? 200 : 400, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /** Status, standard output, standard error; the commands print their answer to System.out. */
    private String[] launch(String... words) {
        List<String> args = new ArrayList<>(List.of(words));
        args.addAll(List.of("--webadmin", "http://127.0.0.1:" + webadmin.getAddress().getPort(),
            "--state", dir.resolve("state").toString()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream systemOut = System.out;
        int status;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            status = DispatchLauncher.exitCode(args.toArray(new String[0]), System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.setOut(systemOut);
        }
        return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8),
            err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void printsTheTextTheRouteAnswersAndExitsZero() {
        String[] result = launch("tls", "show", "example.org");

        assertThat(result[0]).isEqualTo("0");
        assertThat(result[1]).isEqualTo(SHOWN);
        assertThat(result[2]).isEmpty();
        assertThat(asked).containsExactly("GET /dispatch/tls/example.org?format=text");
    }

    @Test
    void anInvalidDomainIsAUsageErrorWithTheServersReason() {
        String[] result = launch("tls", "show", "bad..example");

        assertThat(result[0]).isEqualTo("2");
        assertThat(result[1]).isEmpty();
        assertThat(result[2]).startsWith("dispatch: webadmin refused to show the TLS policy of bad..example: HTTP 400")
            .contains("invalid domain name 'bad..example': empty label");
    }
}
