package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.junit.jupiter.api.Test;

class CommandGuardTest {
    /** James's command dispatcher, as far as the guard can tell: it records the lines and answers 250 or 354. */
    private final List<String> dispatched = new ArrayList<>();
    private final LineHandler<SMTPSession> dispatcher = (session, line) -> {
        String text = new String(line, StandardCharsets.ISO_8859_1).trim();
        dispatched.add(text);
        return text.equals("DATA") ? new SMTPResponse("354", "Start mail input") : new SMTPResponse("250", "2.0.0 OK");
    };

    private CommandGuard guard() throws WiringException {
        CommandGuard guard = new CommandGuard();
        guard.wireExtensions(LineHandler.class, List.of(guard, dispatcher));
        return guard;
    }

    private static String refusal(String line) {
        Response response = CommandGuard.check(line.getBytes(StandardCharsets.ISO_8859_1));
        return response == null ? null : String.join("", response.getLines());
    }

    @Test
    void wellFormedCommandsGoOn() {
        assertThat(refusal("EHLO client.example.com\r\n")).isNull();
        assertThat(refusal("MAIL FROM:<alice@example.com> SIZE=1000\r\n")).isNull();
    }

    @Test
    void controlCharactersAndBareLineEndsAreRefused() {
        assertThat(refusal("NOOP\0\r\n")).isEqualTo("500 5.5.2 Syntax error: NUL character in command");
        assertThat(refusal("NOOP\n")).startsWith("500 5.5.2 Syntax error: a command line must end with CRLF");
        assertThat(refusal("NOOP\rRSET\r\n")).startsWith("500 5.5.2 Syntax error: a command line must end with CRLF");
    }

    @Test
    void eightBitIsRefusedAndNamedAsSuchInAddresses() {
        assertThat(refusal("RCPT TO:<j\u00fcrgen@example.com>\r\n"))
            .isEqualTo("553 5.6.7 Non-ASCII addresses need SMTPUTF8, which this server does not offer");
        assertThat(refusal("HELO m\u00fcnchen.example\r\n")).isEqualTo("500 5.5.2 Syntax error: 8-bit characters in command");
    }

    @Test
    void linesAndPathsLongerThanRfc5321AllowsAreRefused() {
        String noop = "NOOP " + "x".repeat(CommandGuard.MAX_COMMAND_LINE - 7) + "\r\n";
        assertThat(noop).hasSize(CommandGuard.MAX_COMMAND_LINE);
        assertThat(refusal(noop)).isNull();
        assertThat(refusal("NOOP x" + noop.substring(5))).startsWith("500 5.5.2 Line too long: at most 512 octets");

        String longPath = "RCPT TO:<" + "a".repeat(250) + "@example.com>\r\n";
        assertThat(refusal(longPath)).startsWith("501 5.1.3 Path too long: at most 256 octets");
        assertThat(refusal("MAIL FROM:<a@example.com> " + "X".repeat(CommandGuard.MAX_ENVELOPE_LINE) + "\r\n"))
            .startsWith("500 5.5.2 Line too long: at most 2048 octets for MAIL and RCPT");
        assertThat(refusal("AUTH PLAIN " + "A".repeat(4000) + "\r\n")).as("left to James's frame limit").isNull();
    }

    @Test
    void aRefusedLineNeverReachesJames() throws Exception {
        CommandGuard guard = guard();
        TestSession test = TestSession.plain(25);

        Response refused = guard.onLine(test.session, "NOOP\0\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Response passed = guard.onLine(test.session, "NOOP\r\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThat(refused.getRetCode()).isEqualTo("500");
        assertThat(passed.getRetCode()).isEqualTo("250");
        assertThat(dispatched).containsExactly("NOOP");
    }

    @Test
    void theStarttlsPipeliningCheckIsOnAgainAfterEachCommandButNotInData() throws Exception {
        CommandGuard guard = guard();
        TestSession test = TestSession.plain(25);

        test.session.stopDetectingCommandInjection();
        guard.onLine(test.session, "RSET\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(test.session.needsCommandInjectionDetection()).isTrue();

        test.session.stopDetectingCommandInjection();
        guard.onLine(test.session, "DATA\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(test.session.needsCommandInjectionDetection()).as("James turned it off for DATA").isFalse();
    }

    @Test
    void withoutJamesDispatcherAfterItTheChainDoesNotStart() {
        CommandGuard guard = new CommandGuard();

        assertThatThrownBy(() -> guard.wireExtensions(LineHandler.class, List.of(guard)))
            .isInstanceOf(WiringException.class);
    }
}
