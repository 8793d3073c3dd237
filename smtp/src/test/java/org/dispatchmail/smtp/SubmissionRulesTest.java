package org.dispatchmail.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.TransportRules;
import org.dispatchmail.core.submission.SenderAlignment;
import org.dispatchmail.core.submission.SendingLimits;
import org.dispatchmail.core.submission.SubmissionSettings;
import org.dispatchmail.core.submission.SubmissionUsers;
import org.junit.jupiter.api.Test;

class SubmissionRulesTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final String MESSAGE = "From: Alice <alice@example.com>\r\nTo: bob@example.net\r\n"
        + "Subject: hello\r\n\r\nHello Bob\r\n";

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final SubmissionUsers users = TestDoubles.users(clock);
    private final TestDoubles.Usage usage = new TestDoubles.Usage();
    private final Map<String, String> settings = new HashMap<>(Map.of(
        "submission.maxRecipientsPerMessage", "2",
        "submission.maxMessagesPerHour", "2",
        "submission.maxRecipientsPerHour", "100"));

    private SubmissionRules rules() {
        return rules(Clock.systemUTC());
    }

    private SubmissionRules rules(Clock grantsClock) {
        SubmissionSettings submission = SubmissionSettings.from(TestDoubles.config(settings));
        // example.net is routed to a relay and example.com is local: neither is looked up in DNS, so the
        // resolver (pointing at a port where no DNS server listens) is never asked
        TransportRules routes = TransportRules.from(TestDoubles.config(Map.of("transport.rules", "relay",
            "transport.relay.domains", "example.net", "transport.relay.route", "smarthost",
            "transport.relay.host", "relay.example.org")));
        return new SubmissionRules(users, new SenderAlignment(submission.senderAlignment()),
            new SendingLimits(usage, submission.maxMessagesPerHour(), submission.maxRecipientsPerHour(), clock),
            submission, new MxResolver(List.of("127.0.0.1:9"), Duration.ofMillis(200)), routes,
            new TestDoubles.LocalDomains("example.com"), grantsClock);
    }

    private static MaybeSender sender(String address) throws Exception {
        return MaybeSender.of(new MailAddress(address));
    }

    @Test
    void mailFromNeedsALoginFirst() throws Exception {
        HookResult result = rules().mailFrom(TestSession.tls(587).session, sender("alice@example.com"));

        assertRefused(result, HookReturnCode.deny(), "530", "5.7.0 Authentication required");
    }

    @Test
    void aLoginMaySendAsItselfAndAsWhatItWasGrantedOnly() throws Exception {
        users.add("alice@example.com", "a long enough password", List.of("@shop.example.com"));
        SubmissionRules rules = rules();

        assertThat(rules.mailFrom(TestSession.loggedIn("alice@example.com").session, sender("alice@example.com")))
            .isEqualTo(HookResult.DECLINED);
        assertThat(rules.mailFrom(TestSession.loggedIn("alice@example.com").session, sender("orders@shop.example.com")))
            .isEqualTo(HookResult.DECLINED);
        assertThat(rules.mailFrom(TestSession.loggedIn("alice@example.com").session, MaybeSender.nullSender()))
            .isEqualTo(HookResult.DECLINED);
        assertRefused(rules.mailFrom(TestSession.loggedIn("alice@example.com").session, sender("bob@example.com")),
            HookReturnCode.deny(), "553", "5.7.1 Sender address <bob@example.com> is not allowed for login alice@example.com");
    }

    @Test
    void aSessionReadsItsGrantsOnceAMinuteSoAWithdrawnGrantStopsWorkingWithinIt() throws Exception {
        users.add("alice@example.com", "a long enough password", List.of("@shop.example.com"));
        // the session keeps what it read, so each step may look at it through rules with their own clock
        TestSession open = TestSession.loggedIn("alice@example.com");
        assertThat(rules(Clock.fixed(NOW, ZoneOffset.UTC)).mailFrom(open.session, sender("orders@shop.example.com")))
            .isEqualTo(HookResult.DECLINED);

        users.setAllowedSenders("alice@example.com", List.of());
        SubmissionRules rules = rules(Clock.fixed(NOW.plus(SubmissionRules.GRANTS_MAX_AGE).minusSeconds(1),
            ZoneOffset.UTC));
        // the open session still has what it read: no read per message
        assertThat(rules.mailFrom(open.session, sender("orders@shop.example.com"))).isEqualTo(HookResult.DECLINED);
        // a new session reads the grants as they are now
        assertRefused(rules.mailFrom(TestSession.loggedIn("alice@example.com").session, sender("orders@shop.example.com")),
            HookReturnCode.deny(), "553",
            "5.7.1 Sender address <orders@shop.example.com> is not allowed for login alice@example.com");
        // and the open one once its copy is a minute old
        SubmissionRules aMinuteLater = rules(Clock.fixed(NOW.plus(SubmissionRules.GRANTS_MAX_AGE), ZoneOffset.UTC));
        assertRefused(aMinuteLater.mailFrom(open.session, sender("orders@shop.example.com")), HookReturnCode.deny(), "553",
            "5.7.1 Sender address <orders@shop.example.com> is not allowed for login alice@example.com");
    }

    @Test
    void recipientsBeyondThePerMessageLimitAreDeferredOneByOne() throws Exception {
        SubmissionRules rules = rules();
        TestSession test = TestSession.loggedIn("alice@example.com");
        rules.mailFrom(test.session, sender("alice@example.com"));

        assertThat(rules.rcptTo(test.session, new MailAddress("bob@example.com"))).isEqualTo(HookResult.DECLINED);
        assertThat(rules.rcptTo(test.session, new MailAddress("carol@example.net"))).isEqualTo(HookResult.DECLINED);
        assertRefused(rules.rcptTo(test.session, new MailAddress("dave@example.com")), HookReturnCode.denySoft(), "452",
            "4.5.3 Too many recipients for one message (at most 2); send the others in another message");
    }

    @Test
    void aLoginOverItsHourlyMessageLimitIsDeferredAtMailFrom() throws Exception {
        usage.record("alice@example.com", NOW.minus(Duration.ofMinutes(50)), 1);
        usage.record("alice@example.com", NOW.minus(Duration.ofMinutes(10)), 1);

        HookResult result = rules().mailFrom(TestSession.loggedIn("alice@example.com").session, sender("alice@example.com"));

        assertRefused(result, HookReturnCode.denySoft(), "451",
            "4.7.1 Sending limit: login alice@example.com reached its limit of 2 messages per hour; try again later");
    }

    @Test
    void anHourOldMessageNoLongerCounts() throws Exception {
        usage.record("alice@example.com", NOW.minus(Duration.ofMinutes(70)), 1);
        usage.record("alice@example.com", NOW.minus(Duration.ofMinutes(10)), 1);

        assertThat(rules().mailFrom(TestSession.loggedIn("alice@example.com").session, sender("alice@example.com")))
            .isEqualTo(HookResult.DECLINED);
    }

    @Test
    void limitsThatCannotBeReadRefuseUnlessTheAdminAllowsIt() throws Exception {
        usage.unavailable = true;

        assertRefused(rules().mailFrom(TestSession.loggedIn("alice@example.com").session, sender("alice@example.com")),
            HookReturnCode.denySoft(), "451", "4.3.0 Sending limits cannot be checked right now; try again later");

        settings.put("submission.limitsWhenCassandraDown", "allow");
        assertThat(rules().mailFrom(TestSession.loggedIn("alice@example.com").session, sender("alice@example.com")))
            .isEqualTo(HookResult.DECLINED);
    }

    @Test
    void aFromAddressTheLoginMayNotUseRefusesTheMessage() throws Exception {
        TestSession test = TestSession.loggedIn("mallory@example.com");
        FakeMail mail = TestDoubles.mail(MESSAGE, "bob@example.net");

        HookResult result = rules().message(test.session, mail);

        assertRefused(result, HookReturnCode.deny(), "550",
            "5.7.1 From: address <alice@example.com> is not allowed for login mallory@example.com");
        assertThat(mail.getAttribute(SubmissionRules.AUTHOR_CHECKED)).isEmpty();
        assertThat(usage.recorded).isEmpty();
    }

    @Test
    void anAcceptedMessageIsMarkedSignableCountedAndGetsDateAndMessageId() throws Exception {
        TestSession test = TestSession.loggedIn("alice@example.com");
        FakeMail mail = TestDoubles.mail(MESSAGE, "bob@example.net", "carol@example.net");

        HookResult result = rules().message(test.session, mail);

        assertThat(result).isEqualTo(HookResult.DECLINED);
        assertThat(mail.getAttribute(SubmissionRules.AUTHOR_CHECKED)).hasValueSatisfying(attribute ->
            assertThat(attribute.getValue()).isEqualTo(AttributeValue.of("alice@example.com")));
        assertThat(usage.recorded).containsExactly(NOW);
        assertThat(usage.recipients).containsExactly(2);
        assertThat(mail.getMessage().getHeader("Date")).hasSize(1);
        assertThat(mail.getMessage().getHeader("Message-ID")).singleElement().asString()
            .startsWith("<").endsWith("@" + test.session.getConfiguration().getHelloName() + ">");
    }

    @Test
    void aMessageThatHasDateAndMessageIdKeepsThem() throws Exception {
        FakeMail mail = TestDoubles.mail("From: alice@example.com\r\nDate: Mon, 7 Dec 2026 09:00:00 +0000\r\n"
            + "Message-ID: <kept@example.com>\r\n\r\nbody\r\n", "bob@example.net");

        rules().message(TestSession.loggedIn("alice@example.com").session, mail);

        assertThat(mail.getMessage().getHeader("Date")).containsExactly("Mon, 7 Dec 2026 09:00:00 +0000");
        assertThat(mail.getMessage().getHeader("Message-ID")).containsExactly("<kept@example.com>");
    }

    static void assertRefused(HookResult result, HookReturnCode code, String smtpCode, String description) {
        assertThat(result.getResult()).isEqualTo(code);
        assertThat(result.getSmtpRetCode()).isEqualTo(smtpCode);
        assertThat(result.getSmtpDescription()).isEqualTo(description);
    }
}
