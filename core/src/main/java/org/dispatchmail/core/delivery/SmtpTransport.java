package org.dispatchmail.core.delivery;

/** Runs one SMTP transaction with one server; implemented by the SMTP client, scripted in unit tests. */
public interface SmtpTransport {
    /** Never throws for network or protocol problems: they are described in the returned outcomes. */
    TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content);
}
