package org.dispatchmail.core.worker;

/**
 * Sends a delivery status notification (a complete RFC 5322 message) from the null sender to one
 * address; James implements it, so the report goes through its mailet container like any mail.
 */
@FunctionalInterface
public interface ReportSender {
    void send(String recipient, byte[] message) throws Exception;
}
