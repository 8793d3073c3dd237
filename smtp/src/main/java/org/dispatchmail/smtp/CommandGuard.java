package org.dispatchmail.smtp;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * Checks every SMTP command line before James parses it (smtpserver.xml:
 * {@code <handler class="org.dispatchmail.smtp.CommandGuard"/>}, in each handler chain).
 *
 * <p>James hands each line to the first {@link LineHandler} of the chain; listed in smtpserver.xml, this one
 * comes before James's core handlers, so it sees the raw line and passes it on to James's command dispatcher
 * unless it is refused:
 * <ul>
 * <li>a NUL, a CR or LF other than the final CRLF, or an 8-bit byte (James would trim or mangle them and go on):
 * {@code 500 5.5.2}, or {@code 553 5.6.7} for a non-ASCII address in MAIL or RCPT (no SMTPUTF8 here);</li>
 * <li>longer than RFC 5321's 512 octets (2048 for MAIL and RCPT, whose ESMTP parameters lengthen them; AUTH is
 * left to James's 8192-octet frame limit, RFC 4954 allows 12288): {@code 500 5.5.2 Line too long};</li>
 * <li>a MAIL or RCPT path over RFC 5321's 256 octets: {@code 501 5.1.3 Path too long}.</li>
 * </ul>
 *
 * <p>It also mends a James 3.8.1 slip: its DATA command turns off the check that refuses commands pipelined
 * behind STARTTLS and never turns it back on, so after one DATA (or a refused DATA) in cleartext, commands
 * sent in the same packet as STARTTLS would be run inside the TLS session. After each command that did not
 * open DATA, and after each message (see {@link MessageGuard}), the check is on again while no TLS is active.
 */
public class CommandGuard implements LineHandler<SMTPSession>, ExtensibleHandler {
    static final int MAX_COMMAND_LINE = 512;
    static final int MAX_ENVELOPE_LINE = 2048;
    static final int MAX_PATH = 256;

    private static final Response NUL = new SMTPResponse("500", "5.5.2 Syntax error: NUL character in command").immutable();
    private static final Response BARE_NEWLINE = new SMTPResponse("500",
        "5.5.2 Syntax error: a command line must end with CRLF (bare CR or LF received)").immutable();
    private static final Response EIGHT_BIT = new SMTPResponse("500", "5.5.2 Syntax error: 8-bit characters in command").immutable();
    private static final Response NON_ASCII_ADDRESS = new SMTPResponse("553",
        "5.6.7 Non-ASCII addresses need SMTPUTF8, which this server does not offer").immutable();
    private static final Response COMMAND_TOO_LONG = new SMTPResponse("500",
        "5.5.2 Line too long: at most " + MAX_COMMAND_LINE + " octets for a command (RFC 5321 section 4.5.3.1.4)").immutable();
    private static final Response ENVELOPE_TOO_LONG = new SMTPResponse("500",
        "5.5.2 Line too long: at most " + MAX_ENVELOPE_LINE + " octets for MAIL and RCPT").immutable();
    private static final Response PATH_TOO_LONG = new SMTPResponse("501",
        "5.1.3 Path too long: at most " + MAX_PATH + " octets (RFC 5321 section 4.5.3.1.3)").immutable();

    private LineHandler<SMTPSession> next;

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(LineHandler.class);
    }

    /** The line handler James would have used without this one: its command dispatcher. */
    @Override
    @SuppressWarnings("unchecked")
    public void wireExtensions(Class<?> interfaceName, List<?> extensions) throws WiringException {
        if (LineHandler.class.equals(interfaceName)) {
            for (Object handler : extensions) {
                if (handler != this && !(handler instanceof CommandGuard)) {
                    next = (LineHandler<SMTPSession>) handler;
                    return;
                }
            }
            throw new WiringException("CommandGuard needs James's command dispatcher after it in the handler chain");
        }
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line) {
        Response refusal = check(line);
        Response response = refusal != null ? refusal : next.onLine(session, line);
        if (!session.isTLSStarted() && (response == null || !"354".equals(response.getRetCode()))) {
            // not in DATA, not under TLS: refuse STARTTLS with pipelined commands again
            session.startDetectingCommandInjection();
        }
        return response;
    }

    /** Why the command line is refused, or null when James may have it. */
    static Response check(byte[] line) {
        int end = line.length;
        if (end >= 2 && line[end - 2] == '\r' && line[end - 1] == '\n') {
            end -= 2;
        } else {
            return BARE_NEWLINE;
        }
        boolean eightBit = false;
        for (int i = 0; i < end; i++) {
            byte b = line[i];
            if (b == 0) {
                return NUL;
            }
            if (b == '\r' || b == '\n') {
                return BARE_NEWLINE;
            }
            eightBit |= b < 0;
        }
        String text = new String(line, 0, end, StandardCharsets.ISO_8859_1);
        String verb = verb(text);
        boolean envelope = verb.equals("MAIL") || verb.equals("RCPT");
        if (eightBit) {
            return envelope ? NON_ASCII_ADDRESS : EIGHT_BIT;
        }
        if (envelope && line.length > MAX_ENVELOPE_LINE) {
            return ENVELOPE_TOO_LONG;
        }
        if (!envelope && !verb.equals("AUTH") && line.length > MAX_COMMAND_LINE) {
            return COMMAND_TOO_LONG;
        }
        if (envelope && pathLength(text) > MAX_PATH) {
            return PATH_TOO_LONG;
        }
        return null;
    }

    private static String verb(String text) {
        String trimmed = text.trim();
        int space = trimmed.indexOf(' ');
        return (space < 0 ? trimmed : trimmed.substring(0, space)).toUpperCase(Locale.ROOT);
    }

    /** Octets between the angle brackets of "MAIL FROM:<path>" or "RCPT TO:<path>"; 0 without brackets. */
    private static int pathLength(String text) {
        int open = text.indexOf('<');
        int close = open < 0 ? -1 : text.indexOf('>', open);
        return close < 0 ? 0 : close - open - 1;
    }
}
