package org.dispatchmail.it.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The HTTPS hosts {@code mta-sts.<domain>} of several policy domains (RFC 8461 §3.3), as one real HTTPS server on a
 * loopback address with a certificate from the test CA naming every {@code mta-sts.<domain>}. It tells the domains
 * apart by the Host header, serves each domain's policy as {@code text/plain}, and can withdraw one (404) or stop.
 *
 * <p>java.net.http resolves names through the JVM, not through Dispatch's DNS servers, so the node is started with
 * {@link #javaOptions()}: a hosts file mapping the policy hosts to this address, and the policy port (the real one is
 * 443, which a test cannot bind).
 */
public final class MtaStsPolicyHost implements AutoCloseable {
    private static final String PATH = "/.well-known/mta-sts.txt";

    private final HttpsServer server;
    private final Path hostsFile;
    private final Map<String, String> policies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();

    private MtaStsPolicyHost(HttpsServer server, Path hostsFile) {
        this.server = server;
        this.hostsFile = hostsFile;
    }

    /** Starts the host on {@code address} and a free port, for the given policy domains. */
    public static MtaStsPolicyHost start(String address, TestCertificates certificates, List<String> domains)
        throws IOException, InterruptedException, GeneralSecurityException {
        List<String> names = new ArrayList<>();
        for (String domain : domains) {
            names.add("mta-sts." + domain);
        }
        Path keystore = certificates.keystore(certificates.server(names.toArray(new String[0])));
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, TestCertificates.TRUSTSTORE_PASSWORD.toCharArray());
        }
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(keys, TestCertificates.TRUSTSTORE_PASSWORD.toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(factory.getKeyManagers(), null, null);

        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
        // the node's own name, which James and Dispatch look up through the same file
        hosts.append("127.0.0.1 ").append(InetAddress.getLocalHost().getHostName()).append('\n');
        for (String name : names) {
            hosts.append(address).append(' ').append(name).append('\n');
        }
        Path hostsFile = Files.createTempFile("mta-sts-hosts-", ".txt");
        Files.writeString(hostsFile, hosts.toString());
        MtaStsPolicyHost host = new MtaStsPolicyHost(server, hostsFile);
        server.createContext("/", host::handle);
        server.start();
        return host;
    }

    /** JVM options for the node: the hosts file and the policy port. */
    public String javaOptions() {
        return "-Djdk.net.hosts.file=" + hostsFile + " -Ddispatch.mtaSts.policyPort=" + server.getAddress().getPort();
    }

    /** From now on, {@code domain}'s policy host serves this policy text. */
    public void serve(String domain, String policy) {
        policies.put(domain.toLowerCase(Locale.ROOT), policy);
    }

    /** From now on, {@code domain}'s policy host answers 404. */
    public void withdraw(String domain) {
        policies.remove(domain.toLowerCase(Locale.ROOT));
    }

    /** How many requests reached {@code domain}'s policy host so far. */
    public int requests(String domain) {
        AtomicInteger count = requests.get(domain.toLowerCase(Locale.ROOT));
        return count == null ? 0 : count.get();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try {
            String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host")).toLowerCase(Locale.ROOT);
            host = host.replaceFirst(":[0-9]+$", "");
            String domain = host.startsWith("mta-sts.") ? host.substring("mta-sts.".length()) : host;
            requests.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
            String policy = policies.get(domain);
            if (!PATH.equals(exchange.getRequestURI().getPath()) || policy == null) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            byte[] body = policy.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } finally {
            exchange.close();
        }
    }

    @Override
    public void close() throws IOException {
        server.stop(0);
        Files.deleteIfExists(hostsFile);
    }
}
