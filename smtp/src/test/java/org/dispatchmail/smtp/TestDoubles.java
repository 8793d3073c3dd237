package org.dispatchmail.smtp;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Domain;
import org.apache.james.domainlist.api.DomainList;
import org.apache.mailet.base.test.FakeMail;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.secrets.InMemoryClusterSecrets;
import org.dispatchmail.core.submission.InMemorySubmissionUserStore;
import org.dispatchmail.core.submission.PasswordHashing;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.dispatchmail.core.submission.UsageStore;

/** Small in-memory stand-ins for what the hooks get from James and from the engine. */
final class TestDoubles {
    private TestDoubles() {
    }

    /** Cheap hashing: the tests check logins, not the cost of guessing them. */
    static SubmissionUsers users(Clock clock) {
        return new SubmissionUsers(new InMemorySubmissionUserStore(), new PasswordHashing(1000, 4096), clock,
            new InMemoryClusterSecrets(clock, new SecureRandom()));
    }

    static ConfigReader config(Map<String, String> values) {
        return new ConfigReader("dispatch.properties", values);
    }

    /** A message as the client sent it (header and body), with the given envelope recipients. */
    static FakeMail mail(String message, String... recipients) throws Exception {
        MimeMessage mime = new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream(message.getBytes(StandardCharsets.UTF_8)));
        return FakeMail.builder().name("mail-1").mimeMessage(mime).recipients(recipients).build();
    }

    /** Usage per login in memory; {@code unavailable} makes it fail as Cassandra away would. */
    static final class Usage implements UsageStore {
        final List<Instant> recorded = new ArrayList<>();
        final List<Integer> recipients = new ArrayList<>();
        boolean unavailable;

        @Override
        public synchronized void record(String login, Instant at, int count) {
            check();
            recorded.add(at);
            recipients.add(count);
        }

        @Override
        public synchronized List<Integer> between(String login, Instant from, Instant to) {
            check();
            List<Integer> found = new ArrayList<>();
            for (int i = 0; i < recorded.size(); i++) {
                if (!recorded.get(i).isBefore(from) && !recorded.get(i).isAfter(to)) {
                    found.add(recipients.get(i));
                }
            }
            return found;
        }

        private void check() {
            if (unavailable) {
                throw new IllegalStateException("Cassandra does not answer");
            }
        }
    }

    /** James's local domains. */
    static final class LocalDomains implements DomainList {
        private final Set<Domain> domains;

        LocalDomains(String... names) {
            this.domains = Set.of(java.util.Arrays.stream(names).map(Domain::of).toArray(Domain[]::new));
        }

        @Override
        public List<Domain> getDomains() {
            return List.copyOf(domains);
        }

        @Override
        public boolean containsDomain(Domain domain) {
            return domains.contains(domain);
        }

        @Override
        public void addDomain(Domain domain) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void removeDomain(Domain domain) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Domain getDefaultDomain() {
            return domains.iterator().next();
        }
    }
}
