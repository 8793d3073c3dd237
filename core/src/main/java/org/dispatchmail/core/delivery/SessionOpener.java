package org.dispatchmail.core.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.dispatchmail.core.routing.SmtpCredentials;

/**
 * Opens a session with one server: connect (from the configured source address), greeting, EHLO (HELO after a
 * 5xx), TLS as the target's requirement says, AUTH when it has credentials. Failures are values, never exceptions.
 */
final class SessionOpener {

    private static final int SERVICE_READY = 220;
    private static final int SERVICE_NOT_AVAILABLE = 421;
    private static final int AUTH_SUCCEEDED = 235;
    private static final int AUTH_CONTINUE = 334;

    private final DeliverySettings settings;
    private final TlsSupport tls;

    SessionOpener(DeliverySettings settings, TlsSupport tls) {
        this.settings = settings;
        this.tls = tls;
    }

    /** A session, or why there is none. */
    static final class Opened {
        private final SmtpSession session;
        private final AttemptFailure failure;

        private Opened(SmtpSession session, AttemptFailure failure) {
            this.session = session;
            this.failure = failure;
        }

        static Opened of(SmtpSession session) {
            return new Opened(session, null);
        }

        static Opened failed(AttemptFailure failure) {
            return new Opened(null, failure);
        }

        SmtpSession session() {
            return session;
        }

        AttemptFailure failure() {
            return failure;
        }
    }

    /** A session whose connection is closed when {@code deadline} passes (until the caller lifts the limit). */
    Opened open(SmtpTarget target, TransactionDeadline deadline) {
        Attempt attempt = new Attempt(target, target.tls(), deadline);
        Opened opened = attempt.run();
        if (attempt.handshakeFailedOpportunistically && target.tls().allowsPlainTextAfterFailedHandshake()) {
            // like Postfix's "may": a server whose TLS is broken still gets its mail, in plain text; never done
            // for a requirement that TLS be established or verified
            return new Attempt(target, TlsRequirement.NONE, deadline).run();
        }
        return opened;
    }

    /** One connection attempt; {@code requirement} is the target's, or NONE for the plain-text retry. */
    private final class Attempt {
        private final SmtpTarget target;
        private final TlsRequirement requirement;
        private final TransactionDeadline deadline;
        private AttemptStage stage = AttemptStage.CONNECT;
        private String tlsDescription;
        private boolean handshakeFailedOpportunistically;
        // false once the connection is closing or in an unknown state (421, failed TLS)
        private boolean mayQuit = true;

        Attempt(SmtpTarget target, TlsRequirement requirement, TransactionDeadline deadline) {
            this.target = target;
            this.requirement = requirement;
            this.deadline = deadline;
        }

        Opened run() {
            if (deadline.passed()) {
                return failed(FailureKind.CONNECTION_LOST, deadline.exceeded());
            }
            Socket socket = new Socket();
            SmtpConnection connection;
            try {
                try {
                    Optional<InetAddress> source = settings.sourceAddressFor(target.address());
                    if (source.isPresent()) {
                        socket.bind(new InetSocketAddress(source.get(), 0));
                    }
                    socket.connect(new InetSocketAddress(target.address(), target.port()),
                            Math.toIntExact(deadline.cap(settings.connectTimeout()).toMillis()));
                } catch (IOException e) {
                    closeQuietly(socket);
                    return failed(FailureKind.NO_ANSWER, connectError(e));
                }
                // from here on the deadline closes the socket, which ends a handshake or read in progress
                deadline.guard(socket);
                Socket transport = socket;
                if (requirement.implicitTls()) {
                    stage = AttemptStage.STARTTLS;
                    TlsSupport.Handshake handshake = tls.handshake(socket, target.hostName(), target.port(),
                            requirement.certificateCheck(), settings.greetingTimeout());
                    if (!handshake.succeeded()) {
                        return deadline.fired() ? failed(FailureKind.CONNECTION_LOST, deadline.exceeded())
                                : failed(FailureKind.TLS_FAILED, handshake.failure());
                    }
                    transport = handshake.socket();
                    tlsDescription = handshake.description();
                }
                connection = new SmtpConnection(transport);
                connection.limit(deadline);
                Opened opened = converse(connection);
                if (opened.session() == null) {
                    SmtpSession doomed = new SmtpSession(target, connection, Extensions.NONE, tlsDescription);
                    if (!mayQuit) {
                        doomed.markBroken();
                    }
                    doomed.close(settings.commandTimeout());
                }
                return opened;
            } catch (IOException e) {
                closeQuietly(socket);
                return failed(FailureKind.CONNECTION_LOST, ioError(e));
            } catch (RuntimeException e) {
                closeQuietly(socket);
                throw e;
            }
        }

        private Opened converse(SmtpConnection connection) throws IOException {
            stage = AttemptStage.GREETING;
            SmtpReply greeting = connection.readReply(settings.greetingTimeout());
            if (greeting.code() != SERVICE_READY) {
                return byReply(greeting);
            }

            stage = AttemptStage.EHLO;
            SmtpReply hello = command(connection, "EHLO " + settings.heloName());
            Extensions extensions = Extensions.NONE;
            if (hello.isPositive()) {
                extensions = Extensions.of(hello);
            } else if (hello.isPermanent()) {
                hello = command(connection, "HELO " + settings.heloName());
            }
            if (!hello.isPositive()) {
                return byReply(hello);
            }

            if (requirement.usesStartTls()) {
                boolean mandatory = requirement.mandatory();
                if (!extensions.has("STARTTLS")) {
                    if (mandatory) {
                        return failed(FailureKind.TLS_NOT_OFFERED,
                                "TLS is required, but " + target.hostName() + " does not offer STARTTLS");
                    }
                } else {
                    stage = AttemptStage.STARTTLS;
                    SmtpReply reply = command(connection, "STARTTLS");
                    if (reply.code() == SERVICE_READY) {
                        if (connection.hasUnreadInput()) {
                            mayQuit = false;
                            // never let plain-text bytes pass as if they had come over TLS
                            return failed(FailureKind.TLS_FAILED,
                                    "the server sent data after its STARTTLS reply, before TLS started");
                        }
                        TlsSupport.Handshake handshake = tls.handshake(connection.socket(), target.hostName(),
                                target.port(), requirement.certificateCheck(), settings.commandTimeout());
                        if (!handshake.succeeded()) {
                            mayQuit = false;
                            if (deadline.fired()) {
                                return failed(FailureKind.CONNECTION_LOST, deadline.exceeded());
                            }
                            if (!mandatory) {
                                handshakeFailedOpportunistically = true;
                            }
                            return failed(FailureKind.TLS_FAILED, handshake.failure());
                        }
                        connection.upgrade(handshake.socket());
                        tlsDescription = handshake.description();
                        // RFC 3207: forget what was learnt before TLS, ask again
                        stage = AttemptStage.EHLO;
                        hello = command(connection, "EHLO " + settings.heloName());
                        if (!hello.isPositive()) {
                            return byReply(hello);
                        }
                        extensions = Extensions.of(hello);
                    } else if (reply.code() == SERVICE_NOT_AVAILABLE) {
                        return byReply(reply);
                    } else if (mandatory) {
                        return failed(FailureKind.TLS_NOT_OFFERED,
                                "TLS is required, but " + target.hostName() + " refused STARTTLS: " + reply);
                    }
                    // opportunistic and refused: the session goes on in plain text
                }
            }

            Optional<SmtpCredentials> credentials = target.credentials();
            if (credentials.isPresent()) {
                Opened refused = authenticate(connection, extensions, credentials.get());
                if (refused != null) {
                    return refused;
                }
            }
            return Opened.of(new SmtpSession(target, connection, extensions, tlsDescription));
        }

        /** Null when logged in, else the failure. */
        private Opened authenticate(SmtpConnection connection, Extensions extensions, SmtpCredentials credentials)
                throws IOException {
            stage = AttemptStage.AUTH;
            if (tlsDescription == null) {
                return failed(FailureKind.ENCRYPTION_NEEDED, "will not send the password for "
                        + credentials.username() + " to " + target.hostName() + " without TLS");
            }
            Set<String> mechanisms = extensions.authMechanisms();
            SmtpReply reply;
            if (mechanisms.contains("PLAIN")) {
                String response = base64("\0" + credentials.username() + "\0" + credentials.password());
                reply = command(connection, "AUTH PLAIN " + response);
            } else if (mechanisms.contains("LOGIN")) {
                reply = command(connection, "AUTH LOGIN");
                if (reply.code() == AUTH_CONTINUE) {
                    reply = command(connection, base64(credentials.username()));
                }
                if (reply.code() == AUTH_CONTINUE) {
                    reply = command(connection, base64(credentials.password()));
                }
            } else {
                return failed(FailureKind.NO_AUTH_MECHANISM, target.hostName()
                        + " offers no AUTH mechanism this client supports (PLAIN, LOGIN)"
                        + (mechanisms.isEmpty() ? ": it offers no AUTH at all" : ": it offers " + mechanisms));
            }
            if (reply.code() == AUTH_SUCCEEDED) {
                return null;
            }
            if (reply.code() == SERVICE_NOT_AVAILABLE) {
                return byReply(reply);
            }
            if (reply.code() == AUTH_CONTINUE) {
                // a challenge we cannot answer: cancel the exchange (RFC 4954 §4)
                reply = command(connection, "*");
            }
            return failed(FailureKind.AUTH_FAILED, "authentication as " + credentials.username() + " failed: "
                    + reply);
        }

        private SmtpReply command(SmtpConnection connection, String command) throws IOException {
            connection.sendCommand(command, settings.commandTimeout());
            return connection.readReply(settings.commandTimeout());
        }

        private Opened byReply(SmtpReply reply) {
            mayQuit = reply.code() != SERVICE_NOT_AVAILABLE;
            return Opened.failed(AttemptFailure.byReply(stage, reply, tlsDescription));
        }

        private Opened failed(FailureKind kind, String detail) {
            return Opened.failed(AttemptFailure.of(kind, stage, detail, tlsDescription));
        }

        private String connectError(IOException e) {
            if (e instanceof SocketTimeoutException) {
                return "no answer to the connection attempt within "
                        + SmtpConnection.seconds(settings.connectTimeout());
            }
            if (e instanceof ConnectException) {
                return "cannot connect: " + messageOf(e);
            }
            return "cannot connect: " + e;
        }
    }

    static String ioError(IOException e) {
        if (e instanceof SocketTimeoutException || e instanceof EOFException) {
            return messageOf(e);
        }
        return "connection failed: " + messageOf(e);
    }

    static String messageOf(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
