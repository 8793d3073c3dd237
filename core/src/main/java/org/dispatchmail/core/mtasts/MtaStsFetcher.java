package org.dispatchmail.core.mtasts;

import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * Fetches a domain's MTA-STS policy from {@code https://mta-sts.<domain>/.well-known/mta-sts.txt} (RFC 8461 §3.3)
 * with java.net.http: HTTPS with a certificate that chains to the trust store and names the policy host, a 200
 * reply only (a redirect is refused, never followed), media type {@code text/plain}, a body of at most
 * {@value #MAX_POLICY_BYTES} bytes (the read is aborted beyond), a connect timeout and an overall deadline. Every
 * outcome is a {@link Fetch} value.
 *
 * <p><b>Name resolution.</b> java.net.http resolves {@code mta-sts.<domain>} through the JVM (the system's
 * resolver), not through Dispatch's {@code dns.servers}, and it offers no way to connect to an address found
 * elsewhere while keeping the name for SNI, the Host header and the certificate check. So the policy host's
 * address comes from the system resolver; a node whose system resolver differs from {@code dns.servers} may see
 * another address than delivery would. The policy's authenticity does not depend on it: the certificate must be
 * valid for {@code mta-sts.<domain>}. Only tests replace the host and port (see the package-private constructor, and the system property
 * {@value #POLICY_PORT_PROPERTY}).
 */
public final class MtaStsFetcher {

    /** The largest policy body read; RFC 8461 §3.3 lets senders limit it, 64 KiB is what peers use. */
    public static final int MAX_POLICY_BYTES = 64 * 1024;

    private static final String WELL_KNOWN_PATH = "/.well-known/mta-sts.txt";

    /** The system property that moves every policy host to another port, for tests only (they cannot bind 443). */
    public static final String POLICY_PORT_PROPERTY = "dispatch.mtaSts.policyPort";

    /** The port of policy hosts: 443 unless {@value #POLICY_PORT_PROPERTY} says otherwise; read once. */
    private static final int POLICY_PORT = policyPort(System.getProperty(POLICY_PORT_PROPERTY));
    private static final Pattern DOMAIN = Pattern.compile(
            "(?i)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)+");

    /** Why no policy was fetched. */
    public enum FailureKind {
        /** A connection to the policy host could not be made (refused, unreachable, unknown host). */
        CONNECTION_FAILED,
        /** The TLS handshake failed: certificate not trusted, not for the policy host, or no common protocol. */
        TLS_FAILED,
        /** No connection, or no complete reply, before the timeouts. */
        TIMEOUT,
        /** A 3xx reply; redirects are never followed (§3.3). */
        REDIRECTED,
        /** A reply other than 200 and 3xx (404: the domain publishes no policy file). */
        HTTP_STATUS,
        /** The reply is not {@code text/plain}. */
        WRONG_MEDIA_TYPE,
        /** The body is larger than {@value #MAX_POLICY_BYTES} bytes. */
        TOO_LARGE,
        /** The body is not a valid policy. */
        INVALID_POLICY
    }

    /** The policy fetched, or the kind of failure and what happened. */
    public static final class Fetch {
        private final MtaStsPolicy policy;
        private final FailureKind failure;
        private final String detail;

        private Fetch(MtaStsPolicy policy, FailureKind failure, String detail) {
            this.policy = policy;
            this.failure = failure;
            this.detail = detail;
        }

        static Fetch of(MtaStsPolicy policy) {
            return new Fetch(policy, null, policy.toString());
        }

        static Fetch failed(FailureKind kind, String detail) {
            return new Fetch(null, kind, detail);
        }

        public Optional<MtaStsPolicy> policy() {
            return Optional.ofNullable(policy);
        }

        /** Empty when a policy was fetched. */
        public Optional<FailureKind> failure() {
            return Optional.ofNullable(failure);
        }

        /** For logs and reports: the policy, or what went wrong. */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return (failure == null ? "policy" : failure.toString()) + ": " + detail;
        }
    }

    private final HttpClient client;
    private final Duration fetchTimeout;
    private final Function<String, URI> locate;

    /**
     * @param tls          trusts the certificates policy hosts may present (see {@link #trusting})
     * @param connectTimeout for the TCP connection
     * @param fetchTimeout from the request to the last byte of the body, handshake included
     */
    public MtaStsFetcher(SSLContext tls, Duration connectTimeout, Duration fetchTimeout) {
        this(tls, connectTimeout, fetchTimeout, MtaStsFetcher::policyUri);
    }

    /** For tests only: {@code locate} puts the policy host on a loopback name and a free port. */
    MtaStsFetcher(SSLContext tls, Duration connectTimeout, Duration fetchTimeout, Function<String, URI> locate) {
        this.client = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.fetchTimeout = fetchTimeout;
        this.locate = locate;
    }

    /** A TLS context trusting {@code trustStore}, or the JVM's default CAs when empty. */
    public static SSLContext trusting(Optional<KeyStore> trustStore) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trustStore.orElse(null));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot initialise the TLS trust store: " + e.getMessage(), e);
        }
    }

    /**
     * Where {@code policyDomain} publishes its policy: {@code https://mta-sts.<domain>/.well-known/mta-sts.txt}, on
     * port 443 unless the system property {@value #POLICY_PORT_PROPERTY} names another (a hook for tests only).
     */
    public static URI policyUri(String policyDomain) {
        String domain = policyDomain.endsWith(".")
                ? policyDomain.substring(0, policyDomain.length() - 1) : policyDomain;
        if (!DOMAIN.matcher(domain).matches()) {
            throw new IllegalArgumentException("not a domain name: " + policyDomain);
        }
        String port = POLICY_PORT == 443 ? "" : ":" + POLICY_PORT;
        return URI.create("https://mta-sts." + domain.toLowerCase(Locale.ROOT) + port + WELL_KNOWN_PATH);
    }

    /** The policy port given by the system property, 443 when it is not set. */
    static int policyPort(String property) {
        if (property == null || property.isBlank()) {
            return 443;
        }
        try {
            int port = Integer.parseInt(property.trim());
            if (port >= 1 && port <= 65535) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("system property " + POLICY_PORT_PROPERTY + " '" + property
            + "' is not a port number (1 to 65535)");
    }

    /** Fetches and parses {@code policyDomain}'s policy; blocks at most about the fetch timeout. */
    public Fetch fetch(String policyDomain) {
        URI uri = locate.apply(policyDomain);
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(fetchTimeout).GET().build();
        CompletableFuture<HttpResponse<Fetch>> reply = client.sendAsync(request, MtaStsFetcher::bodyFor);
        try {
            return reply.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS).body();
        } catch (TimeoutException e) {
            reply.cancel(true);
            return Fetch.failed(FailureKind.TIMEOUT, "no complete reply from " + uri.getHost() + " within "
                    + fetchTimeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            reply.cancel(true);
            Thread.currentThread().interrupt();
            return Fetch.failed(FailureKind.TIMEOUT, "interrupted while fetching from " + uri.getHost());
        } catch (ExecutionException e) {
            return failureOf(uri, e.getCause());
        }
    }

    /** Decides from the status and headers whether the body is read at all. */
    private static HttpResponse.BodySubscriber<Fetch> bodyFor(HttpResponse.ResponseInfo info) {
        int status = info.statusCode();
        if (status >= 300 && status < 400) {
            return new Refused(Fetch.failed(FailureKind.REDIRECTED, "HTTP " + status + " to "
                    + info.headers().firstValue("Location").orElse("nowhere") + ": redirects are not followed"));
        }
        if (status != 200) {
            return new Refused(Fetch.failed(FailureKind.HTTP_STATUS, "HTTP " + status));
        }
        Optional<String> type = info.headers().firstValue("Content-Type");
        String mediaType = type.map(t -> t.split(";", 2)[0].strip().toLowerCase(Locale.ROOT)).orElse("");
        if (!mediaType.equals("text/plain")) {
            return new Refused(Fetch.failed(FailureKind.WRONG_MEDIA_TYPE,
                    "media type " + type.orElse("(none)") + ", not text/plain"));
        }
        OptionalLong length = info.headers().firstValueAsLong("Content-Length");
        if (length.isPresent() && length.getAsLong() > MAX_POLICY_BYTES) {
            return new Refused(tooLarge());
        }
        return new CappedBody();
    }

    private static Fetch tooLarge() {
        return Fetch.failed(FailureKind.TOO_LARGE, "the policy is larger than " + MAX_POLICY_BYTES + " bytes");
    }

    private static Fetch failureOf(URI uri, Throwable error) {
        String host = uri.getHost();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (cause instanceof HttpConnectTimeoutException) {
                return Fetch.failed(FailureKind.TIMEOUT, "no connection to " + host + " in time");
            }
            if (cause instanceof HttpTimeoutException) {
                return Fetch.failed(FailureKind.TIMEOUT, "no reply from " + host + " in time");
            }
            if (cause instanceof SSLException) {
                return Fetch.failed(FailureKind.TLS_FAILED, "TLS with " + host + " failed: " + messageOf(cause));
            }
            if (cause instanceof ConnectException) {
                return Fetch.failed(FailureKind.CONNECTION_FAILED, "cannot connect to " + host + ": "
                        + messageOf(cause));
            }
        }
        return Fetch.failed(FailureKind.CONNECTION_FAILED, "fetching from " + host + " failed: " + messageOf(error));
    }

    private static String messageOf(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Reads nothing: cancelling the subscription closes the connection, so no body is transferred. */
    private static final class Refused implements HttpResponse.BodySubscriber<Fetch> {
        private final CompletableFuture<Fetch> result;

        Refused(Fetch fetch) {
            this.result = CompletableFuture.completedFuture(fetch);
        }

        @Override
        public CompletionStage<Fetch> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            subscription.cancel();
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            // cancelled: nothing more arrives
        }

        @Override
        public void onError(Throwable throwable) {
            // the outcome is already decided
        }

        @Override
        public void onComplete() {
            // the outcome is already decided
        }
    }

    /** Collects the body, aborting the read as soon as it passes the cap, then parses it. */
    private static final class CappedBody implements HttpResponse.BodySubscriber<Fetch> {
        private final CompletableFuture<Fetch> result = new CompletableFuture<>();
        private final byte[] buffer = new byte[MAX_POLICY_BYTES];
        private int size;
        private Flow.Subscription subscription;

        @Override
        public CompletionStage<Fetch> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer bytes : item) {
                if (bytes.remaining() > MAX_POLICY_BYTES - size) {
                    subscription.cancel();
                    result.complete(tooLarge());
                    return;
                }
                int n = bytes.remaining();
                bytes.get(buffer, size, n);
                size += n;
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            if (result.isDone()) {
                return;
            }
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(buffer, 0, size)).toString();
            } catch (CharacterCodingException e) {
                result.complete(Fetch.failed(FailureKind.INVALID_POLICY, "the policy is not UTF-8 text"));
                return;
            }
            MtaStsPolicy.Parsed parsed = MtaStsPolicy.parse(text);
            result.complete(parsed.policy().map(Fetch::of)
                    .orElseGet(() -> Fetch.failed(FailureKind.INVALID_POLICY, parsed.error().orElseThrow())));
        }
    }
}
