package org.dispatchmail.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.dispatchmail.core.submission.ListenerRole;
import org.dispatchmail.core.config.ConfigException;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.dkim.DkimKeys;
import org.dispatchmail.core.dkim.DkimResult;
import org.dispatchmail.core.dkim.DkimSettings;
import org.dispatchmail.core.dkim.DkimSigner;
import org.dispatchmail.core.dkim.DkimVerifier;
import org.dispatchmail.core.dkim.DomainKey;
import org.dispatchmail.core.dkim.MasterKey;
import org.dispatchmail.core.dkim.SigningPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DkimSignTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    /** The DNS the keys are published in: name to TXT records. */
    private final Map<String, List<String>> dns = new HashMap<>();
    private DkimKeys keys;
    private DkimSign mailet;

    @TempDir
    Path dir;

    @BeforeEach
    void keysForExampleCom() throws Exception {
        Path masterKey = dir.resolve("master.key");
        MasterKey.createFile(masterKey);
        keys = new DkimKeys(new MemoryDomainKeyStore(), MasterKey.fromFile(masterKey),
            name -> dns.getOrDefault(name, List.of()), DkimSettings.from(new ConfigReader("dispatch.properties",
                Map.of("dkim.algorithms", "ed25519-sha256", "dkim.requiredDomains", "required.example"))), clock);
        for (DomainKey key : keys.generate("example.com", List.of(), Optional.empty())) {
            dns.put(key.dnsName(), List.of(key.txtValue()));
        }
        assertThat(keys.maintain()).as("published, so active").hasSize(1);
        mailet = new DkimSign(() -> keys, new DkimSigner(clock));
        mailet.init(FakeMailetConfig.builder().mailetName("DkimSign").build());
    }

    private static Mail mail(String from, Attribute... attributes) throws Exception {
        String content = "From: " + from + "\r\nTo: bob@example.net\r\nSubject: signed?\r\n\r\nHello\r\n";
        FakeMail.Builder mail = FakeMail.builder().name("mail-1").recipients("bob@example.net")
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII))));
        for (Attribute attribute : attributes) {
            mail.attribute(attribute);
        }
        return mail.build();
    }

    /** What SubmissionRules and ListenerTagging leave on a mail whose login may use its From:. */
    private static Attribute[] submittedBy(String login) {
        return new Attribute[] {
            new Attribute(AttributeName.of(ListenerRole.ROLE_ATTRIBUTE), AttributeValue.of("submission")),
            new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of(login)),
            new Attribute(AttributeName.of(SigningPolicy.AUTHOR_CHECKED_ATTRIBUTE), AttributeValue.of(login))};
    }

    private List<DkimResult> verify(Mail mail) throws MessagingException {
        return new DkimVerifier(name -> Optional.of(dns.getOrDefault(name, List.of())), clock)
            .verify(MessageBytes.of(mail));
    }

    @Test
    void mailALoginSubmittedIsSignedForItsFromDomainAndVerifies() throws Exception {
        Mail mail = mail("alice@example.com", submittedBy("alice@example.com"));

        mailet.service(mail);

        assertThat(mail.getMessage().getHeader("DKIM-Signature")).hasSize(1);
        List<DkimResult> results = verify(mail);
        assertThat(results).hasSize(1);
        assertThat(results.get(0).passed()).as(results.get(0).reason()).isTrue();
        assertThat(results.get(0).domain()).contains("example.com");
    }

    @Test
    void mailFromTheMxPortLeavesUnsignedWhateverItsFromSays() throws Exception {
        Mail mail = mail("alice@example.com",
            new Attribute(AttributeName.of(ListenerRole.ROLE_ATTRIBUTE), AttributeValue.of("mx")));

        mailet.service(mail);

        assertThat(mail.getMessage().getHeader("DKIM-Signature")).isNull();
    }

    @Test
    void aDomainWithoutKeysLeavesUnsignedUnlessASignatureIsRequired() throws Exception {
        Mail other = mail("carol@other.example", submittedBy("carol@other.example"));
        mailet.service(other);
        assertThat(other.getMessage().getHeader("DKIM-Signature")).isNull();

        Mail required = mail("dave@required.example", submittedBy("dave@required.example"));
        assertThatThrownBy(() -> mailet.service(required)).isInstanceOf(MessagingException.class)
            .hasMessageContaining("DKIM signature required for required.example");
    }

    @Test
    void withoutDkimKeysTheMailetDoesNotStartAndSaysWhy() {
        DkimSign unconfigured = new DkimSign(() -> {
            throw new ConfigException("dispatch.properties: dkim.masterKeyFile is required for DKIM keys");
        }, new DkimSigner(clock));

        assertThatThrownBy(() -> unconfigured.init(FakeMailetConfig.builder().mailetName("DkimSign").build()))
            .isInstanceOf(ConfigException.class).hasMessageContaining("dkim.masterKeyFile");
    }
}
