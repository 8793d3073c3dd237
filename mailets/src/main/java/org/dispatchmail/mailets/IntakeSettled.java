package org.dispatchmail.mailets;

import javax.inject.Inject;

import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;

/**
 * Ends the processing of a mail that has reached its destination (delivered to a mailbox, stored in a
 * repository) or that is dropped on purpose: clears its intake journal entry, so no node processes it
 * again, and takes it out of the mail processing (GHOST). Place it after a mailet that keeps the mail
 * (LocalDelivery with consume=false, ToRepository with passThrough=true), or instead of Null.
 */
public class IntakeSettled extends GenericMailet {
    private final IntakeService intake;

    @Inject
    public IntakeSettled(IntakeService intake) {
        this.intake = intake;
    }

    @Override
    public void service(Mail mail) {
        intake.settled(mail);
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "IntakeSettled: the mail is home or dropped; its intake journal entry goes";
    }
}
