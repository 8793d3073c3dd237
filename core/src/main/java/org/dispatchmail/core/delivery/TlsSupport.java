package org.dispatchmail.core.delivery;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Client-side TLS for SMTP: TLS 1.2 and 1.3 only; the certificate is always checked (chain, then host name) so the
 * outcome can say what was wrong, but only a verifying handshake fails on a bad one.
 */
final class TlsSupport {

    private static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

    private final X509ExtendedTrustManager trust;

    TlsSupport(Optional<KeyStore> trustStore) {
        this.trust = trustManager(trustStore.orElse(null));
    }

    private static X509ExtendedTrustManager trustManager(KeyStore store) {
        try {
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (TrustManager manager : factory.getTrustManagers()) {
                if (manager instanceof X509ExtendedTrustManager) {
                    return (X509ExtendedTrustManager) manager;
                }
            }
            throw new IllegalStateException("no X.509 trust manager available");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot initialise the TLS trust store: " + e.getMessage(), e);
        }
    }

    /** What a handshake gave: the TLS socket and its description, or why it failed. */
    static final class Handshake {
        private final Socket socket;
        private final String description;
        private final String failure;

        private Handshake(Socket socket, String description, String failure) {
            this.socket = socket;
            this.description = description;
            this.failure = failure;
        }

        boolean succeeded() {
            return socket != null;
        }

        Socket socket() {
            return socket;
        }

        /** E.g. "TLSv1.3 TLS_AES_256_GCM_SHA384 verified". */
        String description() {
            return description;
        }

        /** What went wrong: the alert, "certificate not trusted: ...", "certificate does not match ...". */
        String failure() {
            return failure;
        }
    }

    /**
     * Runs a client handshake over {@code plain} (already connected). Under {@link CertificateCheck#PKIX_AND_HOST_NAME}
     * a certificate that does not chain to the trust store or does not name {@code hostName} fails the handshake;
     * under {@link CertificateCheck#NOTE_ONLY} it is only noted as "unverified". Never throws for TLS or network
     * problems.
     */
    Handshake handshake(Socket plain, String hostName, int port, CertificateCheck check, Duration timeout) {
        boolean verify = check == CertificateCheck.PKIX_AND_HOST_NAME;
        RecordingTrustManager recorder = new RecordingTrustManager(trust, hostName, verify);
        SSLSocket socket = null;
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            // one context per connection so the trust verdict belongs to this handshake (no session resumption)
            context.init(null, new TrustManager[] {recorder}, null);
            socket = (SSLSocket) context.getSocketFactory().createSocket(plain, hostName, port, true);
            SSLParameters parameters = socket.getSSLParameters();
            List<String> protocols = new ArrayList<>(PROTOCOLS);
            protocols.retainAll(Arrays.asList(socket.getSupportedProtocols()));
            parameters.setProtocols(protocols.toArray(new String[0]));
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            if (!IP_LITERAL.matcher(hostName).matches()) {
                try {
                    parameters.setServerNames(List.of(new SNIHostName(hostName)));
                } catch (IllegalArgumentException notAHostName) {
                    // no SNI then; the certificate check still uses the name
                }
            }
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(Math.toIntExact(timeout.toMillis()));
            socket.startHandshake();
            SSLSession session = socket.getSession();
            String verdict = recorder.problem == null ? "verified" : "unverified";
            return new Handshake(socket, session.getProtocol() + " " + session.getCipherSuite() + " " + verdict, null);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            closeQuietly(socket != null ? socket : plain);
            String failure = recorder.problem != null && verify ? recorder.problem
                    : "TLS handshake failed: " + (e.getMessage() != null ? e.getMessage() : e.toString());
            return new Handshake(null, null, failure);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // the handshake failure is what gets reported
        }
    }

    /** Checks the server's certificate in two steps so that a failure says which one failed. */
    private static final class RecordingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;
        private final String hostName;
        private final boolean enforce;
        private volatile String problem;

        RecordingTrustManager(X509ExtendedTrustManager delegate, String hostName, boolean enforce) {
            this.delegate = delegate;
            this.hostName = hostName;
            this.enforce = enforce;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain, authType, () -> delegate.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain, authType, () -> delegate.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType, () -> {
                throw new CertificateException("the host name could not be checked");
            });
        }

        private void check(X509Certificate[] chain, String authType, Check withName) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                problem = "certificate not trusted (" + subjectOf(chain) + "): " + rootCause(e);
            }
            if (problem == null) {
                try {
                    withName.run();
                } catch (CertificateException e) {
                    problem = "certificate does not match host name " + hostName + ": " + rootCause(e);
                }
            }
            if (problem != null && enforce) {
                throw new CertificateException(problem);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }

    private interface Check {
        void run() throws CertificateException;
    }

    private static String subjectOf(X509Certificate[] chain) {
        return chain == null || chain.length == 0 ? "no certificate" : chain[0].getSubjectX500Principal().getName();
    }

    private static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }
}
