package org.dispatchmail.core.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;


/**
 * One mail transaction on an open session for some of the envelope's recipients: MAIL FROM, RCPT TO each, DATA,
 * the message, its final reply. With PIPELINING the commands up to DATA go out in one write and the replies are
 * read in order afterwards; without, in lockstep. Recipients refused with "too many recipients" are left for a
 * further transaction.
 */
final class MailTransaction {

    private static final int SERVICE_NOT_AVAILABLE = 421;
    private static final int START_MAIL_INPUT = 354;
    // RCPTs per write when pipelining, so that neither side's socket buffer can fill up with unread replies
    private static final int PIPELINE_BATCH = 100;
    private static final Pattern TOO_MANY_TEXT = Pattern.compile("(?i)too many recipients");

    private final SmtpSession session;
    private final DeliverySettings settings;
    private final Envelope envelope;
    private final MessageContent content;
    private final List<Integer> indices;
    private final boolean eightBit;
    private final boolean needsSmtpUtf8;
    private final String host;
    private final String address;

    private final Map<Integer, RecipientOutcome> decided = new HashMap<>();
    private final List<Integer> accepted = new ArrayList<>();
    private final List<Integer> deferred = new ArrayList<>();
    private SmtpReply deferReply;
    private AttemptStage stage = AttemptStage.MAIL;
    private boolean tryNextHost;

    /** @param indices the envelope recipients (by position) this transaction is for */
    MailTransaction(SmtpSession session, DeliverySettings settings, Envelope envelope, MessageContent content,
                    List<Integer> indices, boolean eightBit, boolean needsSmtpUtf8) {
        this.session = session;
        this.settings = settings;
        this.envelope = envelope;
        this.content = content;
        this.indices = indices;
        this.eightBit = eightBit;
        this.needsSmtpUtf8 = needsSmtpUtf8;
        this.host = session.target().hostName();
        this.address = session.target().address().getHostAddress();
    }

    /** What one transaction decided. */
    static final class Result {
        private final Map<Integer, RecipientOutcome> decided;
        private final List<Integer> deferred;
        private final boolean tryNextHost;

        private Result(Map<Integer, RecipientOutcome> decided, List<Integer> deferred, boolean tryNextHost) {
            this.decided = Map.copyOf(decided);
            this.deferred = List.copyOf(deferred);
            this.tryNextHost = tryNextHost;
        }

        /** The outcomes of the recipients this transaction decided, by their position in the envelope. */
        Map<Integer, RecipientOutcome> decided() {
            return decided;
        }

        /** Recipients refused as "too many" while others were accepted: they go into the next transaction. */
        List<Integer> deferred() {
            return deferred;
        }

        /**
         * True when the failure is about the server (a 421, a dropped connection before any recipient was
         * accepted).
         */
        boolean tryNextHost() {
            return tryNextHost;
        }
    }

    /**
     * Runs the transaction, once. Marks the session broken or closing when it cannot be used again.
     *
     * @throws UnreadableContentException when the stored message cannot be read (the session is then broken)
     */
    Result run() throws UnreadableContentException {
        converse();
        return new Result(decided, deferred, tryNextHost);
    }

    private void converse() throws UnreadableContentException {
        try {
            if (session.extensions().has("PIPELINING")) {
                pipelined();
            } else {
                lockstep();
            }
        } catch (UnreadableContentException e) {
            session.markBroken();
            throw e;
        } catch (IOException e) {
            session.markBroken();
            String error = SessionOpener.ioError(e);
            if (stage == AttemptStage.END_OF_DATA) {
                failAll(FailureKind.CONNECTION_LOST_IN_TRANSACTION, error + "; the message may have been delivered");
            } else {
                failAll(accepted.isEmpty() ? FailureKind.CONNECTION_LOST : FailureKind.CONNECTION_LOST_IN_TRANSACTION,
                        error);
            }
        }
    }

    private void lockstep() throws IOException {
        SmtpReply mail = command(mailFrom());
        if (!mail.isPositive()) {
            decideAll(mail, mail.code() == SERVICE_NOT_AVAILABLE);
            session.needsReset(true);
            return;
        }
        stage = AttemptStage.RCPT;
        for (int index : indices) {
            if (deferReply != null) {
                // RFC 5321 §4.5.3.1.10: after "too many recipients", stop and send the rest in another transaction
                deferred.add(index);
                continue;
            }
            if (!rcptReply(index, command(rcptTo(index)))) {
                return;
            }
        }
        SmtpReply data = null;
        if (!accepted.isEmpty()) {
            stage = AttemptStage.DATA;
            data = command("DATA");
        }
        finishData(data);
    }

    private void pipelined() throws IOException {
        SmtpConnection connection = session.connection();
        SmtpReply mail = null;
        SmtpReply data = null;
        for (int start = 0; start < indices.size(); start += PIPELINE_BATCH) {
            int end = Math.min(indices.size(), start + PIPELINE_BATCH);
            boolean last = end == indices.size();
            StringBuilder batch = new StringBuilder();
            if (start == 0) {
                batch.append(mailFrom()).append("\r\n");
            }
            for (int index : indices.subList(start, end)) {
                batch.append(rcptTo(index)).append("\r\n");
            }
            if (last) {
                batch.append("DATA\r\n");
            }
            connection.write(batch.toString().getBytes(StandardCharsets.UTF_8),
                    settings.commandTimeout());
            if (start == 0) {
                stage = AttemptStage.MAIL;
                mail = read();
                if (mail.code() == SERVICE_NOT_AVAILABLE) {
                    decideAll(mail, true);
                    return;
                }
            }
            for (int index : indices.subList(start, end)) {
                stage = AttemptStage.RCPT;
                SmtpReply rcpt = read();
                if (!mail.isPositive()) {
                    // the server refuses the RCPTs after a refused MAIL: only the MAIL reply tells why
                    if (rcpt.code() == SERVICE_NOT_AVAILABLE) {
                        decideAll(rcpt, true);
                        return;
                    }
                    continue;
                }
                if (!rcptReply(index, rcpt)) {
                    return;
                }
            }
            if (last) {
                stage = AttemptStage.DATA;
                data = read();
            }
        }
        if (!mail.isPositive()) {
            stage = AttemptStage.MAIL;
            decideAll(mail, false);
            if (data.code() == START_MAIL_INPUT) {
                endEmptyData();
            }
            session.needsReset(true);
            return;
        }
        if (accepted.isEmpty() && data.code() == START_MAIL_INPUT) {
            // RFC 2920 §3.1: DATA went out with the batch but nobody can receive: send an empty message ended at once
            endEmptyData();
            data = null;
        }
        finishData(accepted.isEmpty() ? null : data);
    }

    /** Handles one RCPT reply; false when the transaction is over (421). */
    private boolean rcptReply(int index, SmtpReply rcpt) {
        if (rcpt.isPositive()) {
            accepted.add(index);
        } else if (rcpt.code() == SERVICE_NOT_AVAILABLE) {
            decideAll(rcpt, true);
            return false;
        } else if (isTooManyRecipients(rcpt)) {
            deferred.add(index);
            if (deferReply == null) {
                deferReply = rcpt;
            }
        } else {
            decided.put(index, decide(index, rcpt));
        }
        return true;
    }

    /** After the RCPTs: {@code data} is the reply to DATA, null when no recipient was accepted. */
    private void finishData(SmtpReply data) throws IOException {
        if (accepted.isEmpty()) {
            // a "too many" for the first recipient: waiting is the only way forward
            stage = AttemptStage.RCPT;
            for (int index : deferred) {
                decided.put(index, decide(index, deferReply));
            }
            deferred.clear();
            session.needsReset(true);
            return;
        }
        stage = AttemptStage.DATA;
        if (data.code() == SERVICE_NOT_AVAILABLE) {
            decideAll(data, true);
            return;
        }
        if (data.code() != START_MAIL_INPUT) {
            decideAccepted(data);
            session.needsReset(true);
            return;
        }
        sendMessage();
        stage = AttemptStage.END_OF_DATA;
        decideAccepted(session.connection().readReply(settings.finalDotTimeout()));
        session.needsReset(false);
        session.transactionDone();
    }

    private void endEmptyData() throws IOException {
        session.connection().write(new byte[] {'.', '\r', '\n'}, settings.commandTimeout());
        read();
    }

    private String mailFrom() {
        StringBuilder command = new StringBuilder("MAIL FROM:<").append(envelope.mailFrom()).append('>');
        Extensions extensions = session.extensions();
        if (extensions.has("SIZE")) {
            // RFC 1870: lets the server refuse an oversized message before it is sent
            command.append(" SIZE=").append(content.size());
        }
        if (eightBit && extensions.has("8BITMIME")) {
            command.append(" BODY=8BITMIME");
        }
        if (needsSmtpUtf8) {
            command.append(" SMTPUTF8");
        }
        if (extensions.has("DSN")) {
            MessageDsn dsn = envelope.messageDsn();
            dsn.ret().ifPresent(ret -> command.append(" RET=").append(ret.name()));
            dsn.envelopeId().ifPresent(id -> command.append(" ENVID=").append(Xtext.encode(id)));
        }
        return command.toString();
    }

    private String rcptTo(int index) {
        StringBuilder command = new StringBuilder("RCPT TO:<").append(envelope.recipients().get(index)).append('>');
        if (session.extensions().has("DSN")) {
            RecipientDsn dsn = envelope.recipientDsn(index);
            if (!dsn.notifyOn().isEmpty()) {
                command.append(" NOTIFY=").append(dsn.notifyText());
            }
            dsn.originalRecipient().ifPresent(orcpt -> command.append(" ORCPT=").append(orcptParameter(orcpt)));
        }
        return command.toString();
    }

    // "rfc822;user@example.com": the address type stays as is, the address is xtext
    private static String orcptParameter(String orcpt) {
        int semicolon = orcpt.indexOf(';');
        if (semicolon < 0) {
            return "rfc822;" + Xtext.encode(orcpt);
        }
        return orcpt.substring(0, semicolon).trim() + ";" + Xtext.encode(orcpt.substring(semicolon + 1));
    }

    static boolean isTooManyRecipients(SmtpReply reply) {
        if (reply.code() != 452 && reply.code() != 552) {
            return false;
        }
        String enhanced = reply.enhancedCode();
        return (enhanced != null && enhanced.endsWith(".5.3")) || TOO_MANY_TEXT.matcher(reply.text()).find();
    }

    private void sendMessage() throws IOException {
        DotStuffer stuffer = new DotStuffer();
        byte[] buffer = new byte[64 * 1024];
        try (InputStream message = openContent()) {
            int read;
            while ((read = readContent(message, buffer)) != -1) {
                if (read > 0) {
                    session.connection().write(stuffer.stuff(buffer, 0, read), settings.dataBlockTimeout());
                }
            }
        }
        session.connection().write(stuffer.terminator(), settings.dataBlockTimeout());
    }

    private InputStream openContent() throws UnreadableContentException {
        try {
            return content.open();
        } catch (IOException e) {
            throw new UnreadableContentException(e);
        }
    }

    private static int readContent(InputStream message, byte[] buffer) throws UnreadableContentException {
        try {
            return message.read(buffer);
        } catch (IOException e) {
            throw new UnreadableContentException(e);
        }
    }

    private SmtpReply command(String command) throws IOException {
        session.connection().sendCommand(command, settings.commandTimeout());
        return read();
    }

    private SmtpReply read() throws IOException {
        return session.connection().readReply(settings.commandTimeout());
    }

    /** A reply that ends the transaction for every recipient of it still undecided (deferred ones included). */
    private void decideAll(SmtpReply reply, boolean nextHost) {
        if (reply.code() == SERVICE_NOT_AVAILABLE) {
            session.markServerClosing();
        }
        for (int index : indices) {
            decided.computeIfAbsent(index, undecided -> decide(undecided, reply));
        }
        deferred.clear();
        tryNextHost = nextHost;
    }

    private void decideAccepted(SmtpReply reply) {
        for (int index : accepted) {
            decided.put(index, decide(index, reply));
        }
    }

    private RecipientOutcome decide(int index, SmtpReply reply) {
        String recipient = envelope.recipients().get(index);
        RecipientOutcome outcome = isExpected(reply)
                ? RecipientOutcome.fromReply(recipient, host, address, stage, reply)
                : RecipientOutcome.fromUnexpectedReply(recipient, host, address, stage, reply);
        return outcome.withTls(session.tls()).withDsnPassedOn(session.extensions().has("DSN"));
    }

    // Only the final reply to the data may deliver; a 3xx means "go on", which is only right after DATA.
    private boolean isExpected(SmtpReply reply) {
        if (reply.isTransient() || reply.isPermanent()) {
            return true;
        }
        return reply.isPositive() && stage == AttemptStage.END_OF_DATA;
    }

    /** An error with no reply: every undecided recipient of this transaction gets an outcome of that kind. */
    private void failAll(FailureKind kind, String error) {
        for (int index : indices) {
            decided.computeIfAbsent(index, undecided -> RecipientOutcome.failureAt(envelope.recipients().get(undecided),
                    host, address, stage, kind, error).withTls(session.tls()));
        }
        deferred.clear();
        tryNextHost = kind.tryNextHost();
    }

    /** A failure to read the stored message, as opposed to a failure of the connection. */
    static final class UnreadableContentException extends IOException {
        private static final long serialVersionUID = 1L;

        UnreadableContentException(IOException cause) {
            super(cause);
        }
    }

    static boolean isAscii(String text) {
        return text.chars().allMatch(c -> c < 0x80);
    }
}
