package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.DsnNotify;
import org.dispatchmail.core.delivery.DsnRet;
import org.dispatchmail.core.intake.IntakeSettings;
import org.dispatchmail.core.queue.NewMessage;
import org.junit.jupiter.api.Test;

class DispatchTest {
    private static final String CONTENT = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: out\r\n\r\nbody\r\n";
    private static final UUID QUEUE_ID = UUID.fromString("00000000-0000-0000-0000-000000000001");

    private final List<NewMessage> queued = new ArrayList<>();
    private boolean cassandraAway;
    private final QueueHandOver queue = new QueueHandOver(message -> {
        if (cassandraAway) {
            throw new CassandraUnavailableException("no node available", new IllegalStateException("timed out"));
        }
        queued.add(message);
        return QUEUE_ID;
    });
    private final MemoryIntakeJournal journal = new MemoryIntakeJournal();
    private final IntakeService intake = new IntakeService("node-a", journal,
        IntakeSettings.from(new ConfigReader("dispatch.properties", Map.of())), reinjector -> {
            throw new AssertionError("no takeover in these tests");
        }, queue, null, null, null, Clock.systemUTC());
    private final Dispatch mailet = new Dispatch(queue, intake);

    /** A mail as the SMTP hooks leave it: journaled, with DSN parameters for one recipient. */
    private Mail received(String... recipients) throws Exception {
        MailImpl.Builder builder = MailImpl.builder().name("mail-1").sender("alice@example.com")
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(CONTENT.getBytes(StandardCharsets.US_ASCII))));
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        MailImpl mail = builder.build();
        if (recipients.length > 0) {
            MailAddress first = new MailAddress(recipients[0]);
            mail.setDsnParameters(DsnParameters.builder().envId(DsnParameters.EnvId.of("env-9"))
                .ret(DsnParameters.Ret.HDRS)
                .addRcptParameter(first, DsnParameters.RecipientDsnParameters.of(
                    EnumSet.of(DsnParameters.Notify.FAILURE), first))
                .build().get());
        }
        intake.journal(mail);
        return mail;
    }

    @Test
    void outboundMailIsQueuedWithItsEnvelopeAndDsnThenLeavesJames() throws Exception {
        Mail mail = received("bob@example.net", "carol@example.org");
        assertThat(journal.entries).hasSize(1);

        mailet.service(mail);

        assertThat(queued).hasSize(1);
        NewMessage message = queued.get(0);
        assertThat(message.name()).isEqualTo("mail-1");
        assertThat(message.sender()).isEqualTo("alice@example.com");
        assertThat(message.recipients()).containsExactly("bob@example.net", "carol@example.org");
        assertThat(message.messageDsn().ret()).contains(DsnRet.HDRS);
        assertThat(message.messageDsn().envelopeId()).contains("env-9");
        assertThat(message.recipientDsn(0).notifyOn()).containsExactly(DsnNotify.FAILURE);
        assertThat(message.recipientDsn(0).originalRecipient()).contains("rfc822;bob@example.net");
        assertThat(message.recipientDsn(1).notifyOn()).isEmpty();
        try (InputStream content = message.content().open()) {
            assertThat(new String(content.readAllBytes(), StandardCharsets.US_ASCII)).contains("Subject: out");
        }
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(journal.entries).as("queued: the journal need not keep it").isEmpty();
    }

    @Test
    void whenCassandraDoesNotTakeItJamesKeepsTheMailMarkedForLater() throws Exception {
        Mail mail = received("bob@example.net");
        String state = mail.getState();
        cassandraAway = true;

        assertThatThrownBy(() -> mailet.service(mail)).isInstanceOf(MessagingException.class)
            .hasMessageStartingWith("Dispatch could not queue mail-1; James keeps it: no node available");

        assertThat(mail.getAttribute(IntakeService.QUEUE_LATER)).hasValueSatisfying(attribute ->
            assertThat(attribute.getValue()).isEqualTo(AttributeValue.of(true)));
        assertThat(mail.getState()).isEqualTo(state);
        assertThat(journal.entries).as("still journaled").hasSize(1);
    }

    @Test
    void aMailWithoutRecipientsIsLeftAlone() throws Exception {
        Mail mail = received();
        String state = mail.getState();

        mailet.service(mail);

        assertThat(queued).isEmpty();
        assertThat(mail.getState()).isEqualTo(state);
    }
}
