package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.dispatchmail.core.mtasts.MtaStsFetcher.FailureKind;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.testing.TestPki;

/** The fetcher against a real HTTPS server in this JVM, on loopback, with a certificate from a test CA. */
class MtaStsFetcherTest {
    private static final String POLICY_HOST = "localhost";

    private static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\n"
            + "mx: *.mail.example.test\r\nmax_age: 86400\r\n";

    private static TestPki pki;

    private HttpsServer server;
    private ExecutorService executor;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void makeCertificates() throws Exception {
        pki = TestPki.forHost(POLICY_HOST);
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /** Starts the policy host with {@code certificate}; {@code handler} answers every request. */
    private int start(SSLContext certificate, HttpHandler handler) throws IOException {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(POLICY_HOST), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(certificate));
        executor = Executors.newCachedThreadPool();
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI()
                    + " Host: " + exchange.getRequestHeaders().getFirst("Host"));
            handler.handle(exchange);
        });
        server.start();
        return server.getAddress().getPort();
    }

    private int start(HttpHandler handler) throws Exception {
        return start(pki.caSignedServer(), handler);
    }

    /** The fetcher trusting the test CA only, its policy host moved to localhost and {@code port}. */
    private static MtaStsFetcher fetcher(int port, Duration fetchTimeout) throws Exception {
        return new MtaStsFetcher(MtaStsFetcher.trusting(Optional.of(pki.trustStore())), Duration.ofSeconds(2),
                fetchTimeout, domain -> {
                    URI real = MtaStsFetcher.policyUri(domain);
                    return URI.create("https://" + POLICY_HOST + ":" + port + real.getRawPath());
                });
    }

    private static MtaStsFetcher fetcher(int port) throws Exception {
        return fetcher(port, Duration.ofSeconds(5));
    }

    private static HttpHandler reply(int status, String contentType, String body) {
        return exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (contentType != null) {
                exchange.getResponseHeaders().set("Content-Type", contentType);
            }
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        };
    }

    @Test
    void thePolicyUriIsTheWellKnownPathOnTheMtaStsHost() {
        assertThat(MtaStsFetcher.policyUri("Example.COM."))
                .isEqualTo(URI.create("https://mta-sts.example.com/.well-known/mta-sts.txt"));
    }

    @Test
    void onlyATestMovesThePolicyPortAndABadPortIsRefused() {
        assertThat(MtaStsFetcher.policyPort(null)).isEqualTo(443);
        assertThat(MtaStsFetcher.policyPort("8443")).isEqualTo(8443);
        for (String bad : List.of("0", "65536", "https")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> MtaStsFetcher.policyPort(bad))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(MtaStsFetcher.POLICY_PORT_PROPERTY);
        }
    }

    @Test
    void aValidPolicyServedAsTextPlainIsFetched() throws Exception {
        int port = start(reply(200, "text/plain; charset=utf-8", POLICY));

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).isEmpty();
        MtaStsPolicy policy = fetch.policy().orElseThrow();
        assertThat(policy.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(policy.maxAge()).isEqualTo(Duration.ofDays(1));
        assertThat(policy.allowsMx("a.mail.example.test")).isTrue();
        assertThat(requests).containsExactly("GET /.well-known/mta-sts.txt Host: localhost:" + port);
    }

    @Test
    void aRedirectIsRefusedAndNotFollowed() throws Exception {
        int port = start(exchange -> {
            if (exchange.getRequestURI().getPath().equals("/elsewhere")) {
                reply(200, "text/plain", POLICY).handle(exchange);
                return;
            }
            exchange.getResponseHeaders().set("Location", "/elsewhere");
            exchange.sendResponseHeaders(302, -1);
            exchange.close();
        });

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.REDIRECTED);
        assertThat(fetch.detail()).isEqualTo("HTTP 302 to /elsewhere: redirects are not followed");
        assertThat(fetch.policy()).isEmpty();
        assertThat(requests).hasSize(1);
    }

    @Test
    void aMissingPolicyFileIsAnHttpStatusFailure() throws Exception {
        int port = start(reply(404, "text/html", "<h1>Not Found</h1>"));

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.HTTP_STATUS);
        assertThat(fetch.detail()).isEqualTo("HTTP 404");
    }

    @Test
    void aPolicyOfAnotherMediaTypeIsRefused() throws Exception {
        int port = start(reply(200, "text/html", POLICY));
        MtaStsFetcher.Fetch html = fetcher(port).fetch("example.test");
        assertThat(html.failure()).contains(FailureKind.WRONG_MEDIA_TYPE);
        assertThat(html.detail()).isEqualTo("media type text/html, not text/plain");
        stopServer();

        port = start(reply(200, null, POLICY));
        MtaStsFetcher.Fetch none = fetcher(port).fetch("example.test");
        assertThat(none.failure()).contains(FailureKind.WRONG_MEDIA_TYPE);
    }

    @Test
    void aBodyOfExactly64KiBIsReadAndOneByteMoreIsRefused() throws Exception {
        String padding = "x_padding: ";
        int fill = MtaStsFetcher.MAX_POLICY_BYTES - POLICY.length() - padding.length() - 2;
        String largest = POLICY + padding + "a".repeat(fill) + "\r\n";
        assertThat(largest.length()).isEqualTo(MtaStsFetcher.MAX_POLICY_BYTES);

        int port = start(reply(200, "text/plain", largest));
        assertThat(fetcher(port).fetch("example.test").policy()).isPresent();
        stopServer();

        port = start(reply(200, "text/plain", largest + "\n"));
        MtaStsFetcher.Fetch declared = fetcher(port).fetch("example.test");
        assertThat(declared.failure()).contains(FailureKind.TOO_LARGE);
        stopServer();

        // no Content-Length (chunked): the read is cut off once the body passes the cap
        CountDownLatch streaming = new CountDownLatch(1);
        port = start(exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = "x_padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n".repeat(100)
                    .getBytes(StandardCharsets.US_ASCII);
            try (OutputStream out = exchange.getResponseBody()) {
                // far more than the cap; the client hangs up long before the end
                for (int i = 0; i < 10_000; i++) {
                    out.write(chunk);
                    out.flush();
                }
            } catch (IOException expected) {
                streaming.countDown();
            }
        });
        MtaStsFetcher.Fetch streamed = fetcher(port).fetch("example.test");
        assertThat(streamed.failure()).contains(FailureKind.TOO_LARGE);
        assertThat(streamed.detail()).isEqualTo("the policy is larger than 65536 bytes");
        assertThat(streaming.await(10, TimeUnit.SECONDS)).as("the server saw the connection closed").isTrue();
    }

    @Test
    void aCertificateNotFromATrustedCaIsRefused() throws Exception {
        int port = start(pki.selfSignedServer(), reply(200, "text/plain", POLICY));

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.TLS_FAILED);
        assertThat(fetch.detail()).startsWith("TLS with localhost failed: ");
        assertThat(requests).isEmpty();
    }

    @Test
    void aTrustedCertificateForAnotherNameIsRefused() throws Exception {
        int port = start(pki.otherNameServer(), reply(200, "text/plain", POLICY));

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.TLS_FAILED);
        assertThat(requests).isEmpty();
    }

    @Test
    void aPolicyHostThatDoesNotAnswerInTimeIsATimeout() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        int port = start(exchange -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        try {
            MtaStsFetcher.Fetch fetch = fetcher(port, Duration.ofMillis(300)).fetch("example.test");

            assertThat(fetch.failure()).contains(FailureKind.TIMEOUT);
        } finally {
            release.countDown();
        }
    }

    @Test
    void aClosedPortIsAConnectionFailure() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(POLICY_HOST))) {
            port = socket.getLocalPort();
        }

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.CONNECTION_FAILED);
        assertThat(fetch.detail()).startsWith("cannot connect to localhost");
    }

    @Test
    void aBodyThatIsNotAPolicyIsInvalid() throws Exception {
        int port = start(reply(200, "text/plain", "version: STSv1\nmode: enforce\nmax_age: 60\n"));

        MtaStsFetcher.Fetch fetch = fetcher(port).fetch("example.test");

        assertThat(fetch.failure()).contains(FailureKind.INVALID_POLICY);
        assertThat(fetch.detail()).isEqualTo("invalid policy: no mx, which mode enforce needs");
    }
}
