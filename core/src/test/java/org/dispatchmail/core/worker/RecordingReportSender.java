package org.dispatchmail.core.worker;

import java.util.ArrayList;
import java.util.List;

/** Keeps every report handed over, as the recipient and the bytes; parses nothing. */
public final class RecordingReportSender implements ReportSender {
    private final List<Sent> sent = new ArrayList<>();

    @Override
    public synchronized void send(String recipient, byte[] message) {
        sent.add(new Sent(recipient, message.clone()));
    }

    public synchronized List<Sent> sent() {
        return new ArrayList<>(sent);
    }

    /** One report as handed to James. */
    public static final class Sent {
        private final String recipient;
        private final byte[] bytes;

        Sent(String recipient, byte[] bytes) {
            this.recipient = recipient;
            this.bytes = bytes;
        }

        public String recipient() {
            return recipient;
        }

        public byte[] bytes() {
            return bytes.clone();
        }
    }
}
