package org.dispatchmail.it.support;

import java.io.IOException;
import java.util.List;

/**
 * Remote MTAs that fail in chosen ways, for delivery failure tests: Postfix's smtp-sink started
 * with the flags that make it answer 4xx/5xx at a command, hang up, or stall (smtp-sink(1)).
 * Each returns an {@link SmtpSink}, so a test also sees what was captured (a transaction that
 * failed at RCPT leaves no message; one dropped after the final dot leaves the whole message).
 */
public final class MisbehavingPeer {
    private MisbehavingPeer() {
    }

    /** "421 4.0.0 Server closing connection" instead of a greeting, then hangs up. */
    public static SmtpSink refusesAtGreeting(String address, int port) throws IOException, InterruptedException {
        return SmtpSink.start(address, port, "mx.refusing.test", List.of("-Q", "CONNECT"));
    }

    /** Every RCPT TO answered with this 4xx reply, e.g. "451 4.3.0 Try again later". */
    public static SmtpSink tempFailsAtRcpt(String address, int port, String reply) throws IOException, InterruptedException {
        requireCode(reply, '4');
        return SmtpSink.start(address, port, "mx.deferring.test", List.of("-r", "RCPT", "-b", reply));
    }

    /** Every RCPT TO answered with this 5xx reply, e.g. "550 5.1.1 No such user". */
    public static SmtpSink rejectsAtRcpt(String address, int port, String reply) throws IOException, InterruptedException {
        requireCode(reply, '5');
        return SmtpSink.start(address, port, "mx.rejecting.test", List.of("-f", "RCPT", "-B", reply));
    }

    /** The final dot answered with this 4xx reply (the message was received, then deferred). */
    public static SmtpSink tempFailsAtEndOfData(String address, int port, String reply) throws IOException, InterruptedException {
        requireCode(reply, '4');
        return SmtpSink.start(address, port, "mx.deferring.test", List.of("-r", ".", "-b", reply));
    }

    /** Takes the whole message, then hangs up without answering the final dot: the sender cannot know. */
    public static SmtpSink dropsAfterData(String address, int port) throws IOException, InterruptedException {
        return SmtpSink.start(address, port, "mx.dropping.test", List.of("-q", "."));
    }

    /** Answers DATA with a 550 and reads no more: a receiver that aborts a transfer. */
    public static SmtpSink abortsAtData(String address, int port) throws IOException, InterruptedException {
        return SmtpSink.start(address, port, "mx.aborting.test", List.of("-A", "0"));
    }

    /** Waits this many seconds before every reply to this command (e.g. "." or "RCPT"), then answers normally. */
    public static SmtpSink stallsAt(String address, int port, String command, int seconds)
        throws IOException, InterruptedException {
        return SmtpSink.start(address, port, "mx.slow.test", List.of("-W", command + ":" + seconds));
    }

    private static void requireCode(String reply, char first) {
        if (reply.isEmpty() || reply.charAt(0) != first) {
            throw new IllegalArgumentException("expected a " + first + "xx reply, got: " + reply);
        }
    }
}
