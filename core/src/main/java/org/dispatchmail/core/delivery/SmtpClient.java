package org.dispatchmail.core.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outbound SMTP client (RFC 5321): STARTTLS or implicit TLS per target, AUTH to smart hosts, PIPELINING, SIZE,
 * 8BITMIME, SMTPUTF8 and DSN parameters, further transactions for recipients refused as "too many", and pooled
 * connections per target. Thread-safe; {@link #close()} QUITs the idle connections.
 *
 * <p>An 8-bit message goes out with BODY=8BITMIME when the server offers it and unchanged when it does not (no
 * down-conversion, as Postfix does by default): today's servers accept it, and converting would break DKIM.
 */
public final class SmtpClient implements SmtpTransport, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpClient.class);

    private final DeliverySettings settings;
    private final SessionOpener opener;
    private final ConnectionPool pool;

    /** With the clock that times idle connections. */
    public SmtpClient(DeliverySettings settings, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.opener = new SessionOpener(settings, new TlsSupport(settings.trustStore()));
        this.pool = new ConnectionPool(settings, Objects.requireNonNull(clock, "clock"));
    }

    /**
     * To an MX host on the configured port with opportunistic TLS and no login, on a connection of its own that is
     * QUIT afterwards (not pooled): the behaviour of the one-transaction client this replaces.
     *
     * @param hostName the MX name, null to use the address literal
     */
    public TransactionResult send(InetAddress address, String hostName, Envelope envelope, MessageContent content) {
        Objects.requireNonNull(address, "address");
        SmtpTarget target = new SmtpTarget(hostName == null ? address.getHostAddress() : hostName, address,
                settings.remotePort(), TlsRequirement.OPPORTUNISTIC, Optional.empty());
        return send(target, envelope, content, false);
    }

    /**
     * Delivers to one server, over a pooled connection when one is idle: as many transactions as the server's
     * recipient limit needs. Never throws for network or protocol problems: they are described in the outcomes.
     */
    @Override
    public TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content) {
        return send(target, envelope, content, true);
    }

    private TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content, boolean pooled) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        Delivery delivery = new Delivery(target, envelope, content, pooled);
        TransactionResult result = delivery.run();
        if (LOG.isDebugEnabled()) {
            LOG.debug("SMTP delivery to {}: {}", target, result);
        }
        return result;
    }

    /** Open connections to {@code target}'s address and port, busy or idle. */
    int openConnections(SmtpTarget target) {
        return pool.openConnections(target);
    }

    /** Sends waiting for a connection slot at {@code target}'s address and port. */
    int waitingFor(SmtpTarget target) {
        return pool.waiting(target);
    }

    /** QUITs and closes the idle connections; sends in progress close theirs when they finish. */
    @Override
    public void close() {
        pool.close();
    }

    /** One call of send: the recipients' outcomes are collected as transactions decide them. */
    private final class Delivery {
        private final SmtpTarget target;
        private final Envelope envelope;
        private final MessageContent content;
        /** By position in the envelope; a recipient is absent until decided. */
        private final Map<Integer, RecipientOutcome> outcomes = new HashMap<>();
        private final boolean needsSmtpUtf8;
        private final boolean pooled;
        private final TransactionDeadline deadline;
        private Boolean hasEightBitBytes;
        private boolean anyDelivered;
        private boolean tryNextHost;
        private SmtpSession session;

        Delivery(SmtpTarget target, Envelope envelope, MessageContent content, boolean pooled) {
            this.pooled = pooled;
            this.deadline = TransactionDeadline.start(settings.transactionTimeout());
            this.target = target;
            this.envelope = envelope;
            this.content = content;
            this.needsSmtpUtf8 = !MailTransaction.isAscii(envelope.mailFrom())
                    || envelope.recipients().stream().anyMatch(r -> !MailTransaction.isAscii(r));
        }

        TransactionResult run() {
            try {
                List<Integer> pending = IntStream.range(0, envelope.recipients().size()).boxed()
                        .collect(Collectors.toList());
                while (!pending.isEmpty()) {
                    if (session == null && !connect()) {
                        break;
                    }
                    if (!acceptable()) {
                        break;
                    }
                    MailTransaction.Result transaction = new MailTransaction(session, settings, envelope, content,
                            pending, eightBit(), needsSmtpUtf8).run();
                    outcomes.putAll(transaction.decided());
                    tryNextHost = transaction.tryNextHost();
                    pending = new ArrayList<>(transaction.deferred());
                    anyDelivered |= transaction.decided().values().stream()
                            .anyMatch(o -> o.status() == RecipientOutcome.Status.DELIVERED);
                    if (!pending.isEmpty() && !readyForAnother()) {
                        giveBack();
                    }
                }
            } catch (MailTransaction.UnreadableContentException e) {
                failUndecided(AttemptFailure.of(FailureKind.UNREADABLE_CONTENT, AttemptStage.DATA,
                        "cannot read the message: " + SessionOpener.messageOf(e.getCause()),
                        session == null ? null : session.tls()));
            } catch (RuntimeException e) {
                // a bug or a misbehaving MessageContent must not escape as an exception
                LOG.warn("unexpected failure delivering to {}", target, e);
                if (session != null) {
                    session.markBroken();
                }
                failUndecided(AttemptFailure.of(FailureKind.INTERNAL_ERROR, AttemptStage.CONNECT,
                        "internal error: " + e, null));
            } finally {
                giveBack();
                deadline.disarm();
            }
            // another host would get every recipient again: never after one was delivered here
            List<RecipientOutcome> inOrder = new ArrayList<>();
            for (int i = 0; i < envelope.recipients().size(); i++) {
                inOrder.add(outcomes.get(i));
            }
            return new TransactionResult(inOrder, tryNextHost && !anyDelivered);
        }

        /** Takes an idle session or opens one; false when none (the undecided recipients are then decided). */
        private boolean connect() {
            ConnectionPool.Lease lease = pool.borrow(target, deadline);
            if (!lease.granted()) {
                failUndecided(AttemptFailure.of(FailureKind.TOO_MANY_CONNECTIONS, AttemptStage.CONNECT,
                        "too many connections to " + target.hostName() + "[" + target.address().getHostAddress()
                        + "] from this node (" + settings.maxConnectionsPerHost() + " open, none free within "
                        + SmtpConnection.seconds(settings.connectionWaitTime()) + ")", null));
                return false;
            }
            if (lease.session() != null) {
                session = lease.session();
                return true;
            }
            SessionOpener.Opened opened;
            try {
                opened = opener.open(target, deadline);
            } catch (RuntimeException e) {
                pool.openFailed(target);
                throw e;
            }
            if (opened.session() == null) {
                pool.openFailed(target);
                failUndecided(opened.failure());
                return false;
            }
            session = opened.session();
            return true;
        }

        /** The checks that need the server's extensions but no transaction; false when they decided everyone. */
        private boolean acceptable() throws MailTransaction.UnreadableContentException {
            Extensions extensions = session.extensions();
            if (needsSmtpUtf8 && !extensions.has("SMTPUTF8")) {
                failUndecided(AttemptFailure.of(FailureKind.SMTPUTF8_REQUIRED, AttemptStage.MAIL, "the envelope has "
                        + "non-ASCII addresses and " + target.hostName() + " does not support SMTPUTF8",
                        session.tls()));
                return false;
            }
            long max = extensions.maxSize();
            if (max > 0 && content.size() > max) {
                failUndecided(AttemptFailure.of(FailureKind.MESSAGE_TOO_LARGE, AttemptStage.MAIL,
                        "message too large for " + target.hostName() + " (" + max + " bytes max, the message has "
                        + content.size() + ")", session.tls()));
                return false;
            }
            return true;
        }

        /** Whether the current session can run the next transaction (RSET first when one ended early). */
        private boolean readyForAnother() {
            if (!session.reusable() || session.transactions() >= settings.maxMessagesPerConnection()) {
                return false;
            }
            return !session.needsReset() || session.reset(settings.commandTimeout());
        }

        private void giveBack() {
            if (session != null) {
                // lifted before the session can go idle, where another delivery may limit it by its own deadline
                session.connection().unlimit();
                if (deadline.fired()) {
                    session.markBroken();
                }
                pool.release(session, pooled);
                session = null;
            }
        }

        // Only needed when the server could be told; the message is read for it once per delivery.
        private boolean eightBit() throws MailTransaction.UnreadableContentException {
            if (!session.extensions().has("8BITMIME")) {
                return false;
            }
            if (hasEightBitBytes == null) {
                hasEightBitBytes = hasEightBitBytes();
            }
            return hasEightBitBytes;
        }

        private boolean hasEightBitBytes() throws MailTransaction.UnreadableContentException {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = content.open()) {
                int read;
                while ((read = in.read(buffer)) != -1) {
                    for (int i = 0; i < read; i++) {
                        if (buffer[i] < 0) {
                            return true;
                        }
                    }
                }
                return false;
            } catch (IOException e) {
                throw new MailTransaction.UnreadableContentException(e);
            }
        }

        /** Every recipient not decided yet fails alike; the failure says whether the next server is worth a try. */
        private void failUndecided(AttemptFailure failure) {
            for (int i = 0; i < envelope.recipients().size(); i++) {
                outcomes.computeIfAbsent(i, undecided -> failure.outcomeFor(envelope.recipients().get(undecided),
                        target.hostName(), target.address().getHostAddress()));
            }
            tryNextHost = failure.tryNextHost();
        }
    }
}
