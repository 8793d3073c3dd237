package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.secrets.ClusterSecrets;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.dispatchmail.core.secrets.Secret;
import org.dispatchmail.core.srs.SenderRewriting;
import org.dispatchmail.core.srs.SrsSettings;
import org.junit.jupiter.api.Test;

class SrsRecipientsTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private final InMemoryClusterSecrets secrets = new InMemoryClusterSecrets(Clock.fixed(NOW, ZoneOffset.UTC),
        new SecureRandom());
    private final SrsRecipients hook = new SrsRecipients(srsAt(NOW));

    private SenderRewriting srsAt(Instant now) {
        return new SenderRewriting(SrsSettings.of("fwd.example.net", Duration.ofDays(21)), secrets,
            Clock.fixed(now, ZoneOffset.UTC));
    }

    private HookResult rcpt(SrsRecipients hook, String recipient) throws Exception {
        return hook.doRcpt(null, MaybeSender.nullSender(), new MailAddress(recipient));
    }

    private String address(Instant madeAt) {
        return srsAt(madeAt).forward("alice@origin.test").address().orElseThrow();
    }

    @Test
    void aValidSrsAddressIsAcceptedAndOtherAddressesAreLeftToTheNextHandlers() throws Exception {
        assertThat(rcpt(hook, address(NOW))).isEqualTo(HookResult.OK);
        assertThat(rcpt(hook, "alice@fwd.example.net")).isEqualTo(HookResult.DECLINED);
        assertThat(rcpt(hook, "carol@example.com")).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void forgedExpiredAndMalformedAddressesAreRefusedWith550And571() throws Exception {
        String valid = address(NOW);
        String forged = "SRS0=" + (valid.startsWith("SRS0=AAAAAA") ? "BBBBBB" : "AAAAAA") + valid.substring(11);

        assertRefused(rcpt(hook, forged), "5.7.1 Invalid SRS address: its hash does not check;"
            + " this server takes bounces only for addresses it made");
        assertRefused(rcpt(hook, address(NOW.minus(Duration.ofDays(22)))),
            "5.7.1 Expired SRS address: it was made 22 days ago; bounces are taken only for a limited time");
        assertRefused(rcpt(hook, "SRS0=abcdef@fwd.example.net"),
            "5.7.1 Malformed SRS address: an SRS0 address is SRS0=hash=timestamp=domain=local-part");
    }

    @Test
    void anUnreadableKeyDefersTheRecipient() throws Exception {
        String address = address(NOW);
        SrsRecipients unavailable = new SrsRecipients(new SenderRewriting(SrsSettings.of("fwd.example.net",
            Duration.ofDays(21)), new UnavailableSecrets(), Clock.fixed(NOW, ZoneOffset.UTC)));

        HookResult result = rcpt(unavailable, address);

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("451");
        assertThat(result.getSmtpDescription()).isEqualTo("4.3.0 Cannot check this SRS address now, try again later");
    }

    /** Cluster secrets while Cassandra does not answer. */
    private static final class UnavailableSecrets implements ClusterSecrets {
        private static CassandraUnavailableException unavailable() {
            return new CassandraUnavailableException("no node available", new IllegalStateException("timed out"));
        }

        @Override
        public Secret current(String name) {
            throw unavailable();
        }

        @Override
        public List<Secret> all(String name) {
            throw unavailable();
        }

        @Override
        public Secret rotate(String name) {
            throw unavailable();
        }

        @Override
        public int retire(String name, int keepNewest) {
            throw unavailable();
        }
    }

    private static void assertRefused(HookResult result, String description) {
        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).isEqualTo(description);
    }
}
