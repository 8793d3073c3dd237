package org.dispatchmail.core.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Plain SMTP client (RFC 5321) for relaying one message to one server. */
public final class SmtpClient implements SmtpTransport {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);

    // A goodbye is a courtesy: not worth the full command timeout.
    private static final Duration QUIT_TIMEOUT = Duration.ofSeconds(10);
    private static final int SERVICE_NOT_AVAILABLE = 421;
    private static final int START_MAIL_INPUT = 354;
    private static final int SERVICE_READY = 220;
    // RFC 3463 "other or undefined mail system status": our own storage failed, not the network
    private static final String LOCAL_ERROR_STATUS = "4.3.0";

    private final DeliverySettings settings;

    public SmtpClient(DeliverySettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    @Override
    public TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content) {
        return send(target.address(), target.hostName(), target.port(), envelope, content);
    }

    public TransactionResult send(InetAddress address, String hostName, Envelope envelope, MessageContent content) {
        return send(address, hostName, settings.remotePort(), envelope, content);
    }

    /**
     * One SMTP transaction with one server: connect, greeting, EHLO (HELO after a 5xx), MAIL FROM, RCPT TO per
     * recipient, DATA when at least one recipient was accepted, QUIT. Never throws for network or protocol
     * problems: they are described in the returned outcomes.
     */
    private TransactionResult send(InetAddress address, String hostName, int port, Envelope envelope,
                                   MessageContent content) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        Transaction transaction = new Transaction(address, hostName == null ? address.getHostAddress() : hostName,
                port, envelope, content);
        TransactionResult result = transaction.run();
        if (LOG.isDebugEnabled()) {
            LOG.debug("SMTP transaction with {}[{}]: {}", transaction.host, transaction.addressText, result);
        }
        return result;
    }

    /** The state of one transaction; a recipient's outcome stays null until decided (accepted ones wait for DATA). */
    private final class Transaction {
        private final InetAddress address;
        private final int port;
        private final String host;
        private final String addressText;
        private final Envelope envelope;
        private final MessageContent content;
        private final List<String> recipients;
        private final RecipientOutcome[] outcomes;
        private String stage = RecipientOutcome.STAGE_CONNECT;
        private boolean anyAccepted;
        // after a 421 the server closes the connection itself (RFC 5321 §3.8), so no QUIT
        private boolean serverClosing;

        Transaction(InetAddress address, String host, int port, Envelope envelope, MessageContent content) {
            this.address = address;
            this.port = port;
            this.host = host;
            this.addressText = address.getHostAddress();
            this.envelope = envelope;
            this.content = content;
            this.recipients = envelope.recipients();
            this.outcomes = new RecipientOutcome[recipients.size()];
        }

        TransactionResult run() {
            Socket socket = new Socket();
            try {
                try {
                    socket.connect(new InetSocketAddress(address, port),
                            Math.toIntExact(settings.connectTimeout().toMillis()));
                } catch (IOException e) {
                    return failAll(connectError(e), RecipientOutcome.NO_ANSWER_STATUS, true);
                }
                try (SmtpConnection connection = new SmtpConnection(socket)) {
                    TransactionResult result = converse(connection);
                    if (!serverClosing) {
                        quit(connection);
                    }
                    return result;
                } catch (UnreadableContentException e) {
                    return failAll("cannot read the message: " + messageOf(e.getCause()), LOCAL_ERROR_STATUS, false);
                } catch (IOException e) {
                    return failAll(ioError(e), RecipientOutcome.CONNECTION_DROPPED_STATUS, !anyAccepted);
                }
            } catch (RuntimeException e) {
                // a bug or a misbehaving MessageContent must not escape as an exception
                LOG.warn("unexpected failure talking to {}[{}]", host, addressText, e);
                return failAll("internal error: " + e, RecipientOutcome.CONNECTION_DROPPED_STATUS, false);
            } finally {
                closeQuietly(socket);
            }
        }

        private TransactionResult converse(SmtpConnection connection) throws IOException {
            stage = RecipientOutcome.STAGE_GREETING;
            SmtpReply greeting = connection.readReply(settings.greetingTimeout());
            if (greeting.code() != SERVICE_READY) {
                return decideAll(greeting, true);
            }

            stage = RecipientOutcome.STAGE_EHLO;
            Set<String> extensions = new HashSet<>();
            SmtpReply hello = command(connection, "EHLO " + settings.heloName());
            if (hello.isPositive()) {
                extensions = extensionsOf(hello);
            } else if (hello.isPermanent()) {
                hello = command(connection, "HELO " + settings.heloName());
            }
            if (!hello.isPositive()) {
                return decideAll(hello, hello.code() == SERVICE_NOT_AVAILABLE);
            }

            stage = RecipientOutcome.STAGE_MAIL;
            SmtpReply mail = command(connection, mailFromCommand(extensions));
            if (!mail.isPositive()) {
                return decideAll(mail, mail.code() == SERVICE_NOT_AVAILABLE);
            }

            stage = RecipientOutcome.STAGE_RCPT;
            for (int i = 0; i < recipients.size(); i++) {
                SmtpReply rcpt = command(connection, "RCPT TO:<" + recipients.get(i) + ">");
                if (rcpt.isPositive()) {
                    anyAccepted = true;
                } else if (rcpt.code() == SERVICE_NOT_AVAILABLE) {
                    return decideAll(rcpt, true);
                } else {
                    outcomes[i] = decide(recipients.get(i), rcpt);
                }
            }
            if (!anyAccepted) {
                return finish(false);
            }

            stage = RecipientOutcome.STAGE_DATA;
            SmtpReply data = command(connection, "DATA");
            if (data.code() != START_MAIL_INPUT) {
                return decideAll(data, data.code() == SERVICE_NOT_AVAILABLE);
            }
            sendMessage(connection);

            stage = RecipientOutcome.STAGE_END_OF_DATA;
            SmtpReply endOfData;
            try {
                endOfData = connection.readReply(settings.finalDotTimeout());
            } catch (IOException e) {
                return failAll(ioError(e) + "; the message may have been delivered",
                        RecipientOutcome.CONNECTION_DROPPED_STATUS, false);
            }
            return decideAll(endOfData, false);
        }

        private SmtpReply command(SmtpConnection connection, String command) throws IOException {
            connection.sendCommand(command, settings.commandTimeout());
            return connection.readReply(settings.commandTimeout());
        }

        private String mailFromCommand(Set<String> extensions) {
            String command = "MAIL FROM:<" + envelope.mailFrom() + ">";
            // RFC 1870: lets the server refuse an oversized message before it is sent
            if (extensions.contains("SIZE") && content.size() > 0) {
                command += " SIZE=" + content.size();
            }
            return command;
        }

        private void sendMessage(SmtpConnection connection) throws IOException {
            DotStuffer stuffer = new DotStuffer();
            byte[] buffer = new byte[64 * 1024];
            try (InputStream message = openContent()) {
                int read;
                while ((read = readContent(message, buffer)) != -1) {
                    if (read > 0) {
                        connection.write(stuffer.stuff(buffer, 0, read), settings.dataBlockTimeout());
                    }
                }
            }
            connection.write(stuffer.terminator(), settings.dataBlockTimeout());
        }

        private InputStream openContent() throws UnreadableContentException {
            try {
                return content.open();
            } catch (IOException e) {
                throw new UnreadableContentException(e);
            }
        }

        private int readContent(InputStream message, byte[] buffer) throws UnreadableContentException {
            try {
                return message.read(buffer);
            } catch (IOException e) {
                throw new UnreadableContentException(e);
            }
        }

        /** Sends QUIT and reads its reply, ignoring any failure: the transaction is already decided. */
        private void quit(SmtpConnection connection) {
            try {
                Duration timeout = settings.commandTimeout().compareTo(QUIT_TIMEOUT) < 0
                        ? settings.commandTimeout() : QUIT_TIMEOUT;
                connection.sendCommand("QUIT", timeout);
                connection.readReply(timeout);
            } catch (IOException ignored) {
                // the server may already have closed; nothing depends on its goodbye
            }
        }

        /** A reply that ends the transaction: it decides every recipient still undecided. */
        private TransactionResult decideAll(SmtpReply reply, boolean tryNextHost) {
            serverClosing = reply.code() == SERVICE_NOT_AVAILABLE;
            for (int i = 0; i < outcomes.length; i++) {
                if (outcomes[i] == null) {
                    outcomes[i] = decide(recipients.get(i), reply);
                }
            }
            return finish(tryNextHost);
        }

        private RecipientOutcome decide(String recipient, SmtpReply reply) {
            if (isExpected(reply)) {
                return RecipientOutcome.fromReply(recipient, host, addressText, stage, reply);
            }
            return RecipientOutcome.fromUnexpectedReply(recipient, host, addressText, stage, reply);
        }

        // Only the final reply to the data may deliver; a 3xx means "go on", which is only right after DATA.
        private boolean isExpected(SmtpReply reply) {
            if (reply.isTransient() || reply.isPermanent()) {
                return true;
            }
            return reply.isPositive() && RecipientOutcome.STAGE_END_OF_DATA.equals(stage);
        }

        /** An error with no reply: every undecided recipient gets a temporary outcome. */
        private TransactionResult failAll(String error, String enhancedStatus, boolean tryNextHost) {
            for (int i = 0; i < outcomes.length; i++) {
                if (outcomes[i] == null) {
                    outcomes[i] = RecipientOutcome.fromError(RecipientOutcome.Status.TEMPORARY, recipients.get(i),
                            host, addressText, stage, error, enhancedStatus);
                }
            }
            return finish(tryNextHost);
        }

        private TransactionResult finish(boolean tryNextHost) {
            return new TransactionResult(Arrays.asList(outcomes), tryNextHost);
        }

        private String connectError(IOException e) {
            if (e instanceof SocketTimeoutException) {
                return "no answer to the connection attempt within " + SmtpConnection.seconds(settings.connectTimeout());
            }
            if (e instanceof ConnectException) {
                return "cannot connect: " + messageOf(e);
            }
            return "cannot connect: " + e;
        }

        private String ioError(IOException e) {
            if (e instanceof SocketTimeoutException || e instanceof EOFException) {
                return messageOf(e);
            }
            return "connection failed: " + messageOf(e);
        }
    }

    private static Set<String> extensionsOf(SmtpReply ehlo) {
        Set<String> keywords = new HashSet<>();
        List<String> lines = ehlo.lines();
        // the first line is the server's name and greeting, the others each name an extension
        for (String line : lines.subList(1, lines.size())) {
            String keyword = line.trim().split("[ =]", 2)[0];
            if (!keyword.isEmpty()) {
                keywords.add(keyword.toUpperCase(Locale.ROOT));
            }
        }
        return keywords;
    }

    /** A failure to read the stored message, as opposed to a failure of the connection. */
    private static final class UnreadableContentException extends IOException {
        private static final long serialVersionUID = 1L;

        UnreadableContentException(IOException cause) {
            super(cause);
        }
    }

    private static String messageOf(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
