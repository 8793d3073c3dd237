package org.dispatchmail.smtp;

import java.util.List;
import java.util.function.Supplier;

import org.apache.james.protocols.api.ProtocolSessionImpl;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * A reply written later, from another thread, with the session's replies kept in order. James 3.8.1's protocols
 * API has no future response, so: the connection stops reading ({@code setReadable(false)}), and a line handler
 * holds any line the client already sent behind the command (pipelined: RFC 2920 lets an extension command such as
 * AUTH only end a group, so such a line is a client error). When the answer is ready it is written first, then one
 * 503 per held line, in order, and reading resumes.
 */
final class DeferredReply implements LineHandler<SMTPSession> {
    /**
     * What a command handler returns for a reply to come: writes nothing (no lines). Its code is not a reply code
     * any counter or client ever sees, but statistics handlers read its first character.
     */
    static final Response LATER = new Response() {
        @Override
        public String getRetCode() {
            return "000";
        }

        @Override
        public List<CharSequence> getLines() {
            return List.of();
        }

        @Override
        public boolean isEndSession() {
            return false;
        }
    };
    static final Response IMPROPER_PIPELINING =
        new SMTPResponse("503", "5.5.0 Improper command pipelining after AUTH").immutable();

    private final SMTPSession session;
    private final ProtocolTransport transport;
    private int held;
    private boolean answered;

    private DeferredReply(SMTPSession session, ProtocolTransport transport) {
        this.session = session;
        this.transport = transport;
    }

    /** Stops reading the client and holds whatever it sent already; call from the session's own thread. */
    static DeferredReply hold(SMTPSession session) {
        ProtocolTransport transport = ((ProtocolSessionImpl) session).getProtocolTransport();
        DeferredReply reply = new DeferredReply(session, transport);
        transport.setReadable(false);
        session.pushLineHandler(reply);
        return reply;
    }

    @Override
    public synchronized Response onLine(SMTPSession s, byte[] line) {
        if (answered) {
            // read just before the answer was written: it was still sent without waiting for it
            return IMPROPER_PIPELINING;
        }
        held++;
        return null;
    }

    /**
     * Writes the reply {@code reply} makes (it may change the session, or push the next line handler of an
     * exchange), then a 503 per held line, and resumes reading. From any thread, once.
     */
    synchronized void answer(Supplier<Response> reply) {
        if (answered) {
            throw new IllegalStateException("answered twice");
        }
        answered = true;
        session.popLineHandler();
        transport.writeResponse(reply.get(), session);
        for (int i = 0; i < held; i++) {
            transport.writeResponse(IMPROPER_PIPELINING, session);
        }
        transport.setReadable(true);
    }
}
