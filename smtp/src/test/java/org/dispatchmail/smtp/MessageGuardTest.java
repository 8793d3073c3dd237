package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Test;

class MessageGuardTest {
    private final MessageGuard guard = new MessageGuard();
    /** What James receives of the message: every line, whatever the guard found. */
    private final List<String> received = new ArrayList<>();
    private final LineHandler<SMTPSession> james = (session, line) -> {
        received.add(new String(line, StandardCharsets.ISO_8859_1));
        return null;
    };

    /** Sends the lines of a DATA section (each with its line end) and returns the verdict after the final dot. */
    private HookResult data(TestSession test, String... lines) {
        for (String line : lines) {
            guard.onLine(test.session, line.getBytes(StandardCharsets.ISO_8859_1), james);
        }
        guard.onLine(test.session, ".\r\n".getBytes(StandardCharsets.ISO_8859_1), james);
        return guard.onMessage(test.session, null);
    }

    @Test
    void aCleanMessagePasses() {
        HookResult result = data(TestSession.plain(25), "Subject: hi\r\n", "\r\n", "body \u00e9t\u00e9 in 8 bits\r\n");

        assertThat(result).isEqualTo(HookResult.DECLINED);
        assertThat(received).hasSize(4);
    }

    @Test
    void eightBitsInTheHeaderAreRefusedAfterTheFinalDotAndEveryLineStillReachesJames() {
        HookResult result = data(TestSession.plain(25), "Subject: \u00e9t\u00e9\r\n", "\r\n", "body\r\n");

        SubmissionRulesTest.assertRefused(result, HookReturnCode.deny(), "554", MessageGuard.Problem.EIGHT_BIT_HEADER.description);
        assertThat(received).containsExactly("Subject: \u00e9t\u00e9\r\n", "\r\n", "body\r\n", ".\r\n");
    }

    @Test
    void aBareCrANulAndALongLineAreRefused() {
        SubmissionRulesTest.assertRefused(data(TestSession.plain(25), "Subject: x\r\n", "\r\n", "a\rb\r\n"),
            HookReturnCode.deny(), "554", "5.6.0 Message refused: it contains a CR not followed by LF; only CRLF ends a line");
        SubmissionRulesTest.assertRefused(data(TestSession.plain(25), "\r\n", "a\0b\r\n"),
            HookReturnCode.deny(), "554", "5.6.0 Message refused: it contains a NUL character");
        SubmissionRulesTest.assertRefused(data(TestSession.plain(25), "\r\n", "x".repeat(999) + "\r\n"),
            HookReturnCode.deny(), "554", "5.6.0 Message refused: a line is longer than 998 characters (RFC 5322 section 2.1.1)");
    }

    @Test
    void the998CharacterLineIsAllowed() {
        assertThat(data(TestSession.plain(25), "\r\n", "x".repeat(998) + "\r\n")).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void theFirstProblemIsTheOneReported() {
        HookResult result = data(TestSession.plain(25), "Subject: \u00e9\r\n", "\r\n", "a\0b\r\n");

        assertThat(result.getSmtpDescription()).isEqualTo(MessageGuard.Problem.EIGHT_BIT_HEADER.description);
    }

    @Test
    void theFinalDotTurnsTheStarttlsPipeliningCheckBackOnOutsideTls() {
        TestSession test = TestSession.plain(25);
        test.session.stopDetectingCommandInjection();

        data(test, "\r\n", "body\r\n");

        assertThat(test.session.needsCommandInjectionDetection()).isTrue();
    }

    @Test
    void smtputf8IsNotOffered() {
        HookResult result = guard.doMailParameter(TestSession.plain(25).session, "SMTPUTF8", null);

        SubmissionRulesTest.assertRefused(result, HookReturnCode.deny(), "555", "5.5.4 SMTPUTF8 is not offered by this server");
    }
}
