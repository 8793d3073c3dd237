package org.dispatchmail.core.delivery;

/**
 * Where a delivery attempt ended: the step of the SMTP conversation (or the look-up before it) that decided the
 * outcome. The wire name is what the attempt history stores and the delivery log shows.
 */
public enum AttemptStage {
    DNS("dns", "while looking up the mail servers", "while looking up the mail servers"),
    CONNECT("connect", "while connecting", "while connecting"),
    GREETING("greeting", "in the greeting", "while waiting for the greeting"),
    EHLO("ehlo", "in reply to EHLO/HELO", "during EHLO/HELO"),
    STARTTLS("starttls", "in reply to STARTTLS", "while starting TLS"),
    AUTH("auth", "in reply to AUTH", "while authenticating"),
    MAIL("mail", "in reply to MAIL FROM", "during MAIL FROM"),
    RCPT("rcpt", "in reply to RCPT TO", "during RCPT TO"),
    DATA("data", "in reply to DATA", "while sending the message"),
    END_OF_DATA("end-of-data", "in reply to end of DATA", "while waiting for the reply to end of DATA"),
    /** No attempt was made: the queue itself decided (e.g. the recipient's lifetime ran out while held). */
    QUEUE("queue", "at queue", "at queue");

    private final String wireName;
    private final String replied;
    private final String unanswered;

    AttemptStage(String wireName, String replied, String unanswered) {
        this.wireName = wireName;
        this.replied = replied;
        this.unanswered = unanswered;
    }

    /** The stored and logged name, e.g. "end-of-data". */
    public String wireName() {
        return wireName;
    }

    /** The stage a stored name stands for. */
    public static AttemptStage fromWireName(String name) {
        for (AttemptStage stage : values()) {
            if (stage.wireName.equals(name)) {
                return stage;
            }
        }
        throw new IllegalArgumentException("no attempt stage is called '" + name + "'");
    }

    /** How a person reads it: "in reply to RCPT TO" when the server's reply decided, else "during RCPT TO". */
    String phrase(boolean replied) {
        return replied ? this.replied : unanswered;
    }

    @Override
    public String toString() {
        return wireName;
    }
}
