package org.dispatchmail.smtp;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;

/**
 * Where a mail accepted over SMTP is made durable before its 250 (the intake journal in Cassandra). The Guice
 * module binds it to the node's intake service; the hooks only see this.
 */
public interface MailIntake {
    /** Returns once the mail is durable; throws when it is not, and the mail must then be refused. */
    void journal(Mail mail) throws MessagingException;
}
