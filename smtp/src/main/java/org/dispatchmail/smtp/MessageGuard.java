package org.dispatchmail.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.protocols.smtp.hook.MessageHook;

/**
 * Refuses message data that must not travel on (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.MessageGuard"/>}, in each handler chain):
 * <ul>
 * <li>a NUL character, or a CR not followed by LF: {@code 554 5.6.0}. James 3.8.1 already ends the session
 * on a line that ends with a bare LF ({@code 500 5.0.0 line delimiter must be CRLF}), but passes a bare CR,
 * which some receiving servers take as a line end: {@code <CR>.<CR>} would end the message there and the rest
 * would be read as a second, smuggled one sent from this server;</li>
 * <li>a line longer than RFC 5322's 998 characters: {@code 554 5.6.0};</li>
 * <li>8-bit characters in a header: {@code 554 5.6.9}, since this server does not offer SMTPUTF8
 * (8BITMIME covers the body only); MAIL FROM with the SMTPUTF8 parameter gets {@code 555 5.5.4}.</li>
 * </ul>
 * The reply comes after the final dot, as SMTP requires: lines are only noted on the way in, every line still
 * goes to James, and the message hook refuses the message before any other hook runs.
 */
public class MessageGuard implements DataLineFilter, MessageHook, MailParametersHook {
    /** 998 characters and CRLF (RFC 5322 section 2.1.1). */
    static final int MAX_LINE = 1000;

    enum Problem {
        NUL("554", "5.6.0 Message refused: it contains a NUL character"),
        BARE_CR("554", "5.6.0 Message refused: it contains a CR not followed by LF; only CRLF ends a line"),
        LONG_LINE("554", "5.6.0 Message refused: a line is longer than 998 characters (RFC 5322 section 2.1.1)"),
        EIGHT_BIT_HEADER("554", "5.6.9 Message refused: 8-bit characters in a header need SMTPUTF8, which this server"
            + " does not offer; use RFC 2047 encoded-words");

        final String code;
        final String description;

        Problem(String code, String description) {
            this.code = code;
            this.description = description;
        }
    }

    private static final ProtocolSession.AttachmentKey<Problem> PROBLEM =
        ProtocolSession.AttachmentKey.of("dispatch.data.problem", Problem.class);
    private static final ProtocolSession.AttachmentKey<Boolean> IN_BODY =
        ProtocolSession.AttachmentKey.of("dispatch.data.inBody", Boolean.class);
    private static final HookResult NO_SMTPUTF8 = HookResult.builder().hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode("555").smtpDescription("5.5.4 SMTPUTF8 is not offered by this server").build();

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        if (line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
            if (!session.isTLSStarted()) {
                // James's DATA turned the STARTTLS pipelining check off; see CommandGuard
                session.startDetectingCommandInjection();
            }
            return next.onLine(session, line);
        }
        boolean inBody = session.getAttachment(IN_BODY, ProtocolSession.State.Transaction).orElse(false);
        if (session.getAttachment(PROBLEM, ProtocolSession.State.Transaction).isEmpty()) {
            Problem problem = inspect(line, inBody);
            if (problem != null) {
                session.setAttachment(PROBLEM, problem, ProtocolSession.State.Transaction);
            }
        }
        if (!inBody && line.length == 2 && line[0] == '\r' && line[1] == '\n') {
            session.setAttachment(IN_BODY, true, ProtocolSession.State.Transaction);
        }
        return next.onLine(session, line);
    }

    /** The first thing wrong with one line of data (CRLF included), or null. */
    static Problem inspect(byte[] line, boolean inBody) {
        if (line.length > MAX_LINE) {
            return Problem.LONG_LINE;
        }
        int end = line.length >= 2 && line[line.length - 2] == '\r' && line[line.length - 1] == '\n' ? line.length - 2
            : line.length;
        boolean eightBit = false;
        for (int i = 0; i < end; i++) {
            byte b = line[i];
            if (b == 0) {
                return Problem.NUL;
            }
            if (b == '\r') {
                return Problem.BARE_CR;
            }
            eightBit |= b < 0;
        }
        return eightBit && !inBody ? Problem.EIGHT_BIT_HEADER : null;
    }

    @Override
    public HookResult onMessage(SMTPSession session, MailEnvelope mail) {
        return session.getAttachment(PROBLEM, ProtocolSession.State.Transaction)
            .map(problem -> HookResult.builder().hookReturnCode(HookReturnCode.deny())
                .smtpReturnCode(problem.code).smtpDescription(problem.description).build())
            .orElse(HookResult.DECLINED);
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {"SMTPUTF8"};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        return NO_SMTPUTF8;
    }
}
