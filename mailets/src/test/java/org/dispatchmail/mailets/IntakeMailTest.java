package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.dispatchmail.core.intake.IntakeEntry;
import org.dispatchmail.core.intake.IntakeKey;
import org.junit.jupiter.api.Test;

class IntakeMailTest {
    private static final String CONTENT = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: journal\r\n"
        + "Message-ID: <journal-1@example.com>\r\n\r\nbody line\r\n";

    private static MailImpl received() throws Exception {
        MailAddress bob = new MailAddress("bob@example.net");
        MailImpl mail = MailImpl.builder().name("Mail1700000000000-abc").sender("alice@example.com")
            .addRecipient(bob).addRecipient("carol@example.org")
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
                new java.io.ByteArrayInputStream(CONTENT.getBytes(StandardCharsets.US_ASCII))))
            .remoteAddr("192.0.2.7").remoteHost("client.example.com")
            .addAttribute(new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of("submission")))
            .addAttribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.com")))
            .addAttribute(new Attribute(AttributeName.of("dispatch.listener.tls"), AttributeValue.of(true)))
            .build();
        mail.setDsnParameters(DsnParameters.builder()
            .envId(DsnParameters.EnvId.of("envelope-7"))
            .ret(DsnParameters.Ret.HDRS)
            .addRcptParameter(bob, DsnParameters.RecipientDsnParameters.of(
                java.util.EnumSet.of(DsnParameters.Notify.FAILURE, DsnParameters.Notify.DELAY), bob))
            .build().get());
        return mail;
    }

    @Test
    void aJournaledMailComesBackWithItsNameEnvelopeAttributesDsnAndContent() throws Exception {
        MailImpl mail = received();
        IntakeEntry entry = IntakeMail.entry("node-a", mail, Instant.parse("2026-12-07T10:00:00Z"));

        MailImpl restored = IntakeMail.restore(entry.adoptedBy("node-b"));

        assertThat(restored.getName()).isEqualTo("Mail1700000000000-abc");
        assertThat(restored.getState()).isEqualTo(Mail.DEFAULT);
        assertThat(restored.getMaybeSender().asString()).isEqualTo("alice@example.com");
        assertThat(restored.getRecipients()).containsExactly(new MailAddress("bob@example.net"),
            new MailAddress("carol@example.org"));
        assertThat(restored.getRemoteAddr()).isEqualTo("192.0.2.7");
        assertThat(restored.getRemoteHost()).isEqualTo("client.example.com");
        assertThat(restored.getAttribute(AttributeName.of("dispatch.listener.role"))).contains(
            new Attribute(AttributeName.of("dispatch.listener.role"), AttributeValue.of("submission")));
        assertThat(restored.getAttribute(AttributeName.of("dispatch.listener.tls"))).contains(
            new Attribute(AttributeName.of("dispatch.listener.tls"), AttributeValue.of(true)));
        assertThat(restored.getAttribute(Mail.SMTP_AUTH_USER)).contains(
            new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("alice@example.com")));
        assertThat(restored.dsnParameters()).isEqualTo(mail.dsnParameters());
        assertThat(restored.dsnParameters()).isPresent();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        restored.getMessage().writeTo(content);
        assertThat(content.toString(StandardCharsets.US_ASCII)).isEqualTo(CONTENT);
        // the entry now belongs to the node that re-injected it: that is where its clean-up goes
        assertThat(IntakeMail.key(restored)).contains(new IntakeKey("node-b", "Mail1700000000000-abc"));
    }

    @Test
    void copiesMadeDuringProcessingKeepTheKeyOfTheJournaledMail() throws Exception {
        MailImpl mail = received();
        IntakeMail.entry("node-a", mail, Instant.now());

        Mail copy = MailImpl.duplicate(mail);

        assertThat(copy.getName()).isNotEqualTo(mail.getName());
        assertThat(IntakeMail.key(copy)).contains(new IntakeKey("node-a", "Mail1700000000000-abc"));
    }

    @Test
    void aMailThatWasNeverJournaledHasNoKey() throws Exception {
        assertThat(IntakeMail.key(received())).isEmpty();
    }
}
