package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsSettings;
import org.junit.jupiter.api.Test;

class SrsMailetsTest {
    private static final String SRS_DOMAIN = "fwd.example.net";

    private final Clock clock = Clock.fixed(Instant.parse("2026-12-07T10:00:00Z"), ZoneOffset.UTC);
    private final InMemoryClusterSecrets secrets = new InMemoryClusterSecrets(clock, new SecureRandom());
    private final SenderRewriting srs = new SenderRewriting(SrsSettings.of(SRS_DOMAIN, Duration.ofDays(21)), secrets,
        clock);
    private final FakeMailContext context = FakeMailContext.defaultContext();

    private static MailImpl mail(String sender, String... recipients) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setText("hello");
        message.saveChanges();
        MailImpl.Builder builder = MailImpl.builder().name("m1")
            .sender(sender.isEmpty() ? MaybeSender.nullSender() : MaybeSender.of(new MailAddress(sender)))
            .mimeMessage(message);
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        return builder.build();
    }

    private SrsForward forward(SenderRewriting rewriting) throws Exception {
        SrsForward mailet = new SrsForward(rewriting);
        mailet.init(FakeMailetConfig.builder().mailetName("SrsForward").mailetContext(context).build());
        return mailet;
    }

    private SrsReverse reverse(SenderRewriting rewriting) throws Exception {
        SrsReverse mailet = new SrsReverse(rewriting);
        mailet.init(FakeMailetConfig.builder().mailetName("SrsReverse").mailetContext(context).build());
        return mailet;
    }

    private String srsAddressOf(String sender) {
        return srs.forward(sender).address().orElseThrow();
    }

    @Test
    void forwardedMailLeavesWithAnSrsSenderThatReversesToTheOriginalOne() throws Exception {
        MailImpl mail = mail("alice@origin.test", "bob@remote.test");

        forward(srs).service(mail);

        String sender = mail.getMaybeSender().get().asString();
        assertThat(sender).startsWith("SRS0=").endsWith("=origin.test=alice@" + SRS_DOMAIN);
        assertThat(srs.reverse(sender).original()).contains("alice@origin.test");
    }

    @Test
    void aBounceKeepsItsNullSenderAndNothingChangesWhenSrsIsOff() throws Exception {
        MailImpl bounce = mail("", "bob@remote.test");
        forward(srs).service(bounce);
        assertThat(bounce.getMaybeSender().isNullSender()).isTrue();

        MailImpl forwarded = mail("alice@origin.test", "bob@remote.test");
        forward(new SenderRewriting(SrsSettings.off(), secrets, clock)).service(forwarded);
        assertThat(forwarded.getMaybeSender().get().asString()).isEqualTo("alice@origin.test");
    }

    @Test
    void mailForAValidSrsAddressIsSentOnToTheOriginalSenderAndLeavesThisPath() throws Exception {
        MailImpl bounce = mail("", srsAddressOf("alice@origin.test"));

        reverse(srs).service(bounce);

        assertThat(context.getSentMails()).hasSize(1);
        assertThat(context.getSentMails().get(0).getRecipients()).containsExactly(new MailAddress("alice@origin.test"));
        assertThat(context.getSentMails().get(0).getSender()).isNull();
        assertThat(bounce.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void onlyTheRecipientsThatCheckAreSentOnTheOthersStay() throws Exception {
        String forged = "SRS0=AAAAAA=" + srsAddressOf("mallory@origin.test").split("=", 3)[2];
        MailImpl mail = mail("", srsAddressOf("alice@origin.test"), forged, "carol@local.test");

        reverse(srs).service(mail);

        assertThat(context.getSentMails()).hasSize(1);
        assertThat(context.getSentMails().get(0).getRecipients()).containsExactly(new MailAddress("alice@origin.test"));
        assertThat(mail.getRecipients()).containsExactly(new MailAddress(forged), new MailAddress("carol@local.test"));
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
    }

    @Test
    void anSrs1AddressIsSentOnToTheFirstForwarder() throws Exception {
        MailImpl bounce = mail("", srsAddressOf("SRS0=abcd=XY=origin.test=alice@first.test"));

        reverse(srs).service(bounce);

        assertThat(context.getSentMails().get(0).getRecipients())
            .containsExactly(new MailAddress("SRS0=abcd=XY=origin.test=alice@first.test"));
    }

    @Test
    void withSrsOffNothingIsSentOn() throws Exception {
        MailImpl bounce = mail("", srsAddressOf("alice@origin.test"));

        reverse(new SenderRewriting(SrsSettings.off(), secrets, clock)).service(bounce);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(bounce.getRecipients()).hasSize(1);
    }
}
