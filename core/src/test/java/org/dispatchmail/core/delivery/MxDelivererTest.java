package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.delivery.RecipientOutcome.Status;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MtaStsPolicySource;
import org.dispatchmail.core.mtasts.MxPattern;
import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.core.routing.MxResolver;
import org.dispatchmail.core.routing.Route;
import org.dispatchmail.core.routing.RoutingSettings;
import org.dispatchmail.core.routing.TransportRules;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.dispatchmail.core.routing.TlsPolicy;

/**
 * Delivery along routes, against a real DNS server (dnsmasq) and a scripted SMTP transport; the last tests use the
 * real SMTP client against a fake server on loopback.
 */
class MxDelivererTest {

    private static final Envelope ENVELOPE =
            new Envelope("sender@origin.test", List.of("alice@fallback.test", "bob@fallback.test"));
    private static final MessageContent MESSAGE =
            MessageContent.ofBytes("Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII));
    private static final Duration DEAD_HOST_TIME = Duration.ofMinutes(5);
    // the root zone's KSK-2017 DS record; any anchor would do, since the test zone is unsigned
    private static final String ROOT_TRUST_ANCHOR =
            ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

    private static DnsmasqServer dns;
    private static int deadDnsPort;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-03-01T10:00:00Z"));
    /** The MTA-STS policies the deliverer of {@link #deliverer} finds, by domain, and the domains it asked for. */
    private final Map<String, MtaStsPolicy> policies = new HashMap<>();
    private final List<String> policyQuestions = Collections.synchronizedList(new ArrayList<>());

    @BeforeAll
    static void startDns() throws Exception {
        deadDnsPort = DnsmasqServer.freePort();
        // The fake SMTP server listens on 127.0.0.1 only, so the same port on 127.0.0.2 refuses connections.
        dns = DnsmasqServer.start(List.of(
                "--mx-host=fallback.test,down.fallback.test,10",
                "--mx-host=fallback.test,up.fallback.test,20",
                "--host-record=down.fallback.test,127.0.0.2",
                "--host-record=up.fallback.test,127.0.0.1",
                "--mx-host=alldown.test,down.fallback.test,10",
                "--mx-host=alldown.test,down2.alldown.test,20",
                "--host-record=down2.alldown.test,127.0.0.3",
                "--mx-host=first.test,up.fallback.test,10",
                "--mx-host=first.test,never.first.test,20",
                "--host-record=never.first.test,127.0.0.4",
                "--mx-host=nomail.test,.,0",
                // three MX hosts of three addresses each
                "--mx-host=multi.test,a.multi.test,10",
                "--mx-host=multi.test,b.multi.test,20",
                "--mx-host=multi.test,c.multi.test,30",
                "--host-record=a.multi.test,127.0.1.1",
                "--host-record=a.multi.test,127.0.1.2",
                "--host-record=a.multi.test,127.0.1.3",
                "--host-record=b.multi.test,127.0.2.1",
                "--host-record=b.multi.test,127.0.2.2",
                "--host-record=b.multi.test,127.0.2.3",
                "--host-record=c.multi.test,127.0.3.1",
                "--host-record=implicit.test,127.0.0.6",
                // two MX names, one server
                "--mx-host=dup.test,down.fallback.test,10",
                "--mx-host=dup.test,alias.dup.test,20",
                "--host-record=alias.dup.test,127.0.0.2",
                "--mx-host=xn--bcher-kva.test,up.fallback.test,10",
                "--mx-host=partner.test,up.fallback.test,10",
                // smart hosts: address records only, two addresses
                "--host-record=relay.test,127.0.0.30",
                "--host-record=relay.test,127.0.0.31",
                "--mx-host=relay.test,up.fallback.test,10"));
    }

    @AfterAll
    static void stopDns() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    private static DeliverySettings settings() {
        return DeliverySettings.builder().heloName("client.test").build();
    }

    private MxDeliverer deliverer(ScriptedTransport transport, String... config) {
        return deliverer(transport, settings(), config);
    }

    private MxDeliverer deliverer(ScriptedTransport transport, DeliverySettings settings, String... config) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < config.length; i += 2) {
            values.put(config[i], config[i + 1]);
        }
        RoutingSettings routing = RoutingSettings.from(new ConfigReader("dispatch.properties", values));
        return new MxDeliverer(new MxResolver(List.of(dns.address()), Duration.ofSeconds(1)), transport, settings,
                routing, domain -> {
                    policyQuestions.add(domain);
                    return Optional.ofNullable(policies.get(domain));
                }, clock);
    }

    // ---------------------------------------------------------------- MX routing

    @Test
    void triesMxHostsInPreferenceOrderAndFallsBackWhenOneRefuses() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.2", 25, ScriptedTransport::refused)
                .on("127.0.0.1", 25, ScriptedTransport::delivered);

        MxDeliverer.Result result = deliverer(transport).deliverRouted("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("down.fallback.test[127.0.0.2]:25", "up.fallback.test[127.0.0.1]:25");
        assertThat(transport.targets()).allSatisfy(target -> {
            assertThat(target.tls()).isEqualTo(TlsRequirement.configured(TlsPolicy.OPPORTUNISTIC));
            assertThat(target.credentials()).isEmpty();
        });
        assertThat(result.outcomes()).extracting(RecipientOutcome::status)
                .containsExactly(Status.DELIVERED, Status.DELIVERED);
        assertThat(result.outcomes()).extracting(RecipientOutcome::recipient)
                .containsExactly("alice@fallback.test", "bob@fallback.test");
        assertThat(result.route().map(Route::kind)).contains(Route.Kind.MX);
        assertThat(result.routeDescription()).isEqualTo("mx (tls opportunistic)");
    }

    @Test
    void stopsAtTheFirstHostThatDecides() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.1", 25, ScriptedTransport::temporaryAtMail);

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("first.test", ENVELOPE, MESSAGE);

        // a 451 is about this message, so never.first.test is not tried
        assertThat(transport.tried()).containsExactly("up.fallback.test[127.0.0.1]:25");
        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.MAIL);
        });
    }

    @Test
    void a421GreetingMovesOnButDoesNotMakeTheHostDead() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.2", 25, ScriptedTransport::busy)
                .on("127.0.0.1", 25, ScriptedTransport::delivered);
        MxDeliverer deliverer = deliverer(transport);

        deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);
        deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly(
                "down.fallback.test[127.0.0.2]:25", "up.fallback.test[127.0.0.1]:25",
                "down.fallback.test[127.0.0.2]:25", "up.fallback.test[127.0.0.1]:25");
    }

    @Test
    void limitsHostsAndAddressesPerHost() {
        ScriptedTransport transport = new ScriptedTransport();
        DeliverySettings settings = settings().toBuilder().maxMxHosts(2).maxAddressesPerHost(2).build();

        List<RecipientOutcome> outcomes = deliverer(transport, settings).deliver("multi.test", ENVELOPE, MESSAGE);

        List<String> hosts = transport.targets().stream().map(SmtpTarget::hostName).collect(Collectors.toList());
        assertThat(hosts).containsExactly("a.multi.test", "a.multi.test", "b.multi.test", "b.multi.test");
        assertThat(transport.targets()).extracting(target -> target.address().getHostAddress())
                .doesNotHaveDuplicates()
                .allMatch(address -> address.startsWith("127.0.1.") || address.startsWith("127.0.2."));
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1"));
    }

    @Test
    void aServerBehindTwoMxNamesIsTriedOnce() {
        ScriptedTransport transport = new ScriptedTransport();

        deliverer(transport).deliver("dup.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("down.fallback.test[127.0.0.2]:25");
    }

    @Test
    void domainWithoutMxIsDeliveredToItsOwnAddress() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.6", 25, ScriptedTransport::delivered);

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("implicit.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("implicit.test[127.0.0.6]:25");
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.status()).isEqualTo(Status.DELIVERED));
    }

    @Test
    void internationalisedDomainIsRoutedByItsALabels() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.1", 25, ScriptedTransport::delivered);

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("Bücher.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("up.fallback.test[127.0.0.1]:25");
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.status()).isEqualTo(Status.DELIVERED));
    }

    @Test
    void nullMxBouncesEveryRecipientWithoutConnecting() {
        ScriptedTransport transport = new ScriptedTransport();

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("nomail.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.DNS);
            assertThat(outcome.host()).isNull();
            assertThat(outcome.reply()).isNull();
            assertThat(outcome.enhancedStatus()).isEqualTo("5.1.10");
            assertThat(outcome.describe()).contains("5.1.10").contains("null MX");
        });
    }

    @Test
    void nonExistentDomainBouncesEveryRecipient() {
        ScriptedTransport transport = new ScriptedTransport();

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("nowhere.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
            assertThat(outcome.enhancedStatus()).isEqualTo("5.1.2");
            assertThat(outcome.describe()).contains("5.1.2").contains("nowhere.test").contains("NXDOMAIN");
        });
    }

    @Test
    void invalidDomainBouncesWithoutAnyLookup() {
        ScriptedTransport transport = new ScriptedTransport();

        MxDeliverer.Result result = deliverer(transport).deliverRouted("bad domain.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(result.route()).isEmpty();
        assertThat(result.outcomes()).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.PERMANENT);
            assertThat(outcome.enhancedStatus()).isEqualTo("5.1.3");
            assertThat(outcome.error()).contains("invalid domain name 'bad domain.test'");
        });
    }

    @Test
    void serverFailureIsTemporary() throws Exception {
        // A validating dnsmasq in front of an unsigned one finds the answer bogus and says SERVFAIL.
        try (DnsmasqServer unsigned = DnsmasqServer.start(List.of(
                "--local=/example/", "--mx-host=bogus.example,mx.bogus.example,10",
                "--host-record=mx.bogus.example,127.0.0.1"));
             DnsmasqServer validating = DnsmasqServer.start(List.of(
                     "--dnssec", "--dnssec-check-unsigned", "--trust-anchor=" + ROOT_TRUST_ANCHOR,
                     "--server=" + unsigned.address().replace(':', '#')))) {
            ScriptedTransport transport = new ScriptedTransport();
            MxDeliverer deliverer = new MxDeliverer(new MxResolver(List.of(validating.address()),
                    Duration.ofSeconds(2)), transport, settings(), RoutingSettings.defaults(), MtaStsPolicySource.NONE,
                    clock);

            List<RecipientOutcome> outcomes = deliverer.deliver("bogus.example", ENVELOPE, MESSAGE);

            assertThat(transport.tried()).isEmpty();
            assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
                assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
                assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.DNS);
                assertThat(outcome.enhancedStatus()).isEqualTo("4.4.3");
                assertThat(outcome.error()).contains("SERVFAIL");
            });
        }
    }

    @Test
    void dnsTimeoutIsTemporary() {
        ScriptedTransport transport = new ScriptedTransport();
        MxDeliverer deliverer = new MxDeliverer(new MxResolver(List.of("127.0.0.1:" + deadDnsPort),
                Duration.ofSeconds(1)), transport, settings(), RoutingSettings.defaults(), MtaStsPolicySource.NONE,
                clock);

        List<RecipientOutcome> outcomes = deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.DNS);
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.3");
            assertThat(outcome.error()).contains("fallback.test");
        });
    }

    @Test
    void mxRuleCarriesItsTlsPolicyIntoEveryTarget() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.1", 25, ScriptedTransport::delivered);

        MxDeliverer.Result result = deliverer(transport,
                "transport.rules", "partners",
                "transport.partners.domains", "partner.test",
                "transport.partners.tls", "required",
                "delivery.tls", "none").deliverRouted("partner.test", ENVELOPE, MESSAGE);

        assertThat(transport.targets()).singleElement().satisfies(target -> {
            assertThat(target.tls()).isEqualTo(TlsRequirement.configured(TlsPolicy.REQUIRED));
            assertThat(target.port()).isEqualTo(25);
        });
        assertThat(result.routeDescription()).isEqualTo("transport partners: mx (tls required)");
    }

    @Test
    void deliveryTlsAppliesWhenNoRuleMatches() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.1", 25, ScriptedTransport::delivered);

        deliverer(transport, "transport.rules", "partners",
                "transport.partners.domains", "partner.test",
                "transport.partners.tls", "required",
                "delivery.tls", "none").deliver("first.test", ENVELOPE, MESSAGE);

        assertThat(transport.targets()).singleElement()
                .satisfies(target -> assertThat(target.tls()).isEqualTo(TlsRequirement.configured(TlsPolicy.NONE)));
    }

    // ---------------------------------------------------------------- dead-host cache

    @Test
    void anAddressThatRefusedIsSkippedUntilItsDeadTimeIsOver() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.2", 25, ScriptedTransport::refused)
                .on("127.0.0.1", 25, ScriptedTransport::delivered);
        MxDeliverer deliverer = deliverer(transport);

        deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);
        transport.forget();
        deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);
        // the same address is skipped for another domain too
        deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("up.fallback.test[127.0.0.1]:25",
                "down2.alldown.test[127.0.0.3]:25");

        transport.forget();
        clock.advance(DEAD_HOST_TIME);
        transport.on("127.0.0.2", 25, ScriptedTransport::delivered);
        deliverer.deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("down.fallback.test[127.0.0.2]:25");
    }

    @Test
    void whenEveryServerIsDeadNothingIsTriedAndTheLastErrorIsReported() {
        ScriptedTransport transport = new ScriptedTransport();
        MxDeliverer deliverer = deliverer(transport);
        deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);
        assertThat(transport.tried()).hasSize(2);
        transport.forget();
        clock.advance(Duration.ofSeconds(40));

        List<RecipientOutcome> outcomes = deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.CONNECT);
            assertThat(outcome.error())
                    .startsWith("all mail servers of alldown.test were unreachable recently (last error: ")
                    .contains("down2.alldown.test[127.0.0.3]:25: cannot connect: Connection refused")
                    .contains("40s ago");
        });

        clock.advance(DEAD_HOST_TIME);
        deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).hasSize(2);
    }

    @Test
    void deadHostTimeZeroNeverSkips() {
        ScriptedTransport transport = new ScriptedTransport();
        MxDeliverer deliverer = deliverer(transport, "delivery.deadHostTime", "0s");

        deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);
        deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).hasSize(4);
    }

    @Test
    void aTransportThatThrowsIsATemporaryFailureAndStopsTheAttempt() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.2", 25, (target, envelope) -> {
            throw new IllegalStateException("boom");
        });

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("down.fallback.test[127.0.0.2]:25");
        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.error()).contains("boom");
        });
    }

    // ---------------------------------------------------------------- smart hosts

    private static final String[] SMART_HOST = {
        "transport.rules", "relay",
        "transport.relay.domains", "*.corp.test,corp.test",
        "transport.relay.route", "smarthost",
        "transport.relay.host", "relay.test:587",
        "transport.relay.username", "dispatch@corp.test",
        "transport.relay.password", "secret"};

    @Test
    void smartHostGetsEveryTargetWithItsTlsPolicyAndLogin() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.30", 587, ScriptedTransport::refused)
                .on("127.0.0.31", 587, ScriptedTransport::refused);

        // no DNS record at all for the recipient domain: the smart host is all that matters
        MxDeliverer.Result result = deliverer(transport, SMART_HOST).deliverRouted("Mail.Corp.test", ENVELOPE,
                MESSAGE);

        assertThat(transport.targets()).hasSize(2).allSatisfy(target -> {
            assertThat(target.hostName()).isEqualTo("relay.test");
            assertThat(target.port()).isEqualTo(587);
            assertThat(target.tls()).isEqualTo(TlsRequirement.configured(TlsPolicy.REQUIRED));
            assertThat(target.credentials()).hasValueSatisfying(login -> {
                assertThat(login.username()).isEqualTo("dispatch@corp.test");
                assertThat(login.password()).isEqualTo("secret");
            });
        });
        assertThat(transport.targets()).extracting(target -> target.address().getHostAddress())
                .containsExactlyInAnyOrder("127.0.0.30", "127.0.0.31");
        assertThat(result.routeDescription())
                .isEqualTo("transport relay: smarthost relay.test:587 (tls required, auth as dispatch@corp.test)");
    }

    @Test
    void smartHostFallsThroughItsAddressesAndIgnoresItsMx() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.30", 587, ScriptedTransport::refused)
                .on("127.0.0.31", 587, ScriptedTransport::refused);
        MxDeliverer deliverer = deliverer(transport, SMART_HOST);
        deliverer.deliver("corp.test", ENVELOPE, MESSAGE); // both addresses now dead
        transport.forget();
        clock.advance(DEAD_HOST_TIME);
        transport.on("127.0.0.31", 587, ScriptedTransport::delivered);

        // whichever address comes first, the delivery ends at the one that answers
        List<RecipientOutcome> outcomes = deliverer.deliver("corp.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.DELIVERED);
            assertThat(outcome.address()).isEqualTo("127.0.0.31");
        });
        assertThat(transport.tried()).last().isEqualTo("relay.test[127.0.0.31]:587");
        assertThat(transport.tried()).noneMatch(tried -> tried.contains("127.0.0.1"));
    }

    @Test
    void smartHostWhoseAddressesAreAllDeadIsNotContacted() {
        ScriptedTransport transport = new ScriptedTransport();
        MxDeliverer deliverer = deliverer(transport, SMART_HOST);
        deliverer.deliver("corp.test", ENVELOPE, MESSAGE);
        transport.forget();

        List<RecipientOutcome> outcomes = deliverer.deliver("x.corp.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
            assertThat(outcome.error()).startsWith("all servers of smart host relay.test:587 (transport relay) for "
                    + "x.corp.test were unreachable recently");
        });
    }

    @Test
    void smartHostThatDoesNotResolveDefersInsteadOfBouncing() {
        ScriptedTransport transport = new ScriptedTransport();

        List<RecipientOutcome> outcomes = deliverer(transport,
                "transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "no-such-relay.test").deliver("example.org", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.3");
            assertThat(outcome.error()).contains("smart host no-such-relay.test:25 (transport relay)")
                    .contains("NXDOMAIN");
        });
    }

    @Test
    void smartHostByIpLiteral() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.40", 2525, ScriptedTransport::delivered);

        List<RecipientOutcome> outcomes = deliverer(transport,
                "transport.rules", "relay",
                "transport.relay.domains", "*",
                "transport.relay.route", "smarthost",
                "transport.relay.tls", "none",
                "transport.relay.host", "[127.0.0.40]:2525").deliver("example.org", ENVELOPE, MESSAGE);

        assertThat(transport.targets()).singleElement().satisfies(target -> {
            assertThat(target.hostName()).isEqualTo("127.0.0.40");
            assertThat(target.tls()).isEqualTo(TlsRequirement.configured(TlsPolicy.NONE));
        });
        assertThat(outcomes).allSatisfy(outcome -> assertThat(outcome.status()).isEqualTo(Status.DELIVERED));
    }

    @Test
    void domainsOutsideTheRulesStillGoByMx() {
        ScriptedTransport transport = new ScriptedTransport().on("127.0.0.1", 25, ScriptedTransport::delivered);

        MxDeliverer.Result result = deliverer(transport, SMART_HOST).deliverRouted("first.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("up.fallback.test[127.0.0.1]:25");
        assertThat(transport.targets().get(0).credentials()).isEmpty();
        assertThat(result.route().flatMap(Route::rule)).isEmpty();
    }

    // ---------------------------------------------------------------- MTA-STS

    private void policy(String domain, MtaStsPolicy.Mode mode, String... mx) {
        List<MxPattern> patterns = new ArrayList<>();
        for (String pattern : mx) {
            patterns.add(MxPattern.parse(pattern).orElseThrow());
        }
        policies.put(domain, new MtaStsPolicy(mode, patterns, Duration.ofDays(1)));
    }

    @Test
    void enforceSkipsMxHostsThePolicyDoesNotNameAndRequiresVerifiedTlsOfTheOthers() {
        policy("first.test", MtaStsPolicy.Mode.ENFORCE, "never.first.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.4", 25, ScriptedTransport::delivered);

        MxDeliverer.Result result = deliverer(transport, "delivery.tls", "none")
                .deliverRouted("first.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("never.first.test[127.0.0.4]:25");
        assertThat(transport.targets()).extracting(SmtpTarget::tls).containsOnly(TlsRequirement.MTA_STS);
        assertThat(result.outcomes()).extracting(RecipientOutcome::status).containsOnly(Status.DELIVERED);
        assertThat(result.outcomes()).extracting(o -> o.policy().orElseThrow()).containsOnly("mta-sts");
        assertThat(policyQuestions).containsExactly("first.test");
    }

    @Test
    void enforceWithNoMatchingMxDefersEveryRecipientWithoutConnecting() {
        policy("fallback.test", MtaStsPolicy.Mode.ENFORCE, "*.elsewhere.test");
        ScriptedTransport transport = new ScriptedTransport();

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).isEmpty();
        assertThat(outcomes).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.failureKind()).contains(FailureKind.MTA_STS_NO_VALID_MX);
            assertThat(outcome.enhancedStatus()).isEqualTo("4.7.5");
            assertThat(outcome.error()).contains("MTA-STS policy of fallback.test")
                    .contains("down.fallback.test, up.fallback.test");
            assertThat(outcome.policy()).contains("mta-sts");
        });
    }

    @Test
    void aFailedTlsCheckUnderEnforceMovesToTheNextMatchingMx() {
        policy("fallback.test", MtaStsPolicy.Mode.ENFORCE, "*.fallback.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.2", 25, (target, envelope) -> {
                    List<RecipientOutcome> failed = new ArrayList<>();
                    for (String recipient : envelope.recipients()) {
                        failed.add(RecipientOutcome.failureAt(recipient, target.hostName(), "127.0.0.2",
                                AttemptStage.STARTTLS, FailureKind.TLS_FAILED, "certificate does not name the host"));
                    }
                    return new TransactionResult(failed, FailureKind.TLS_FAILED.tryNextHost());
                })
                .on("127.0.0.1", 25, ScriptedTransport::delivered);

        List<RecipientOutcome> outcomes = deliverer(transport).deliver("fallback.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("down.fallback.test[127.0.0.2]:25",
                "up.fallback.test[127.0.0.1]:25");
        assertThat(outcomes).extracting(RecipientOutcome::status).containsOnly(Status.DELIVERED);
    }

    @Test
    void testingTriesEveryMxAsTheRouteSaysAndReportsWhatEnforceWouldHaveSkipped() {
        policy("first.test", MtaStsPolicy.Mode.TESTING, "never.first.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.1", 25, ScriptedTransport::delivered);

        MxDeliverer.Result result = deliverer(transport).deliverRouted("first.test", ENVELOPE, MESSAGE);

        assertThat(transport.tried()).containsExactly("up.fallback.test[127.0.0.1]:25");
        assertThat(transport.targets()).extracting(SmtpTarget::tls)
                .containsOnly(TlsRequirement.mtaStsTesting(TlsRequirement.OPPORTUNISTIC));
        assertThat(result.outcomes()).extracting(o -> o.policy().orElseThrow()).containsOnly("mta-sts-testing");
        // the scripted delivery had no TLS session, which enforce would not have accepted either
        assertThat(result.testingRefusals()).containsExactly("up.fallback.test is not named by the policy",
                "up.fallback.test[127.0.0.1] was used without TLS");
    }

    @Test
    void aRuleWithMtaStsOffNeverAsksForThePolicyAndARuleWithTestingDemotesEnforce() {
        policy("partner.test", MtaStsPolicy.Mode.ENFORCE, "*.elsewhere.test");
        policy("first.test", MtaStsPolicy.Mode.ENFORCE, "*.elsewhere.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.1", 25, ScriptedTransport::delivered);
        MxDeliverer deliverer = deliverer(transport,
                "transport.rules", "partners,trial",
                "transport.partners.domains", "partner.test",
                "transport.partners.mtaSts", "off",
                "transport.trial.domains", "first.test",
                "transport.trial.mtaSts", "testing");

        List<RecipientOutcome> off = deliverer.deliver("partner.test", ENVELOPE, MESSAGE);
        List<RecipientOutcome> testing = deliverer.deliver("first.test", ENVELOPE, MESSAGE);

        assertThat(policyQuestions).containsExactly("first.test");
        assertThat(off).extracting(o -> o.policy().orElseThrow()).containsOnly("opportunistic");
        assertThat(testing).extracting(RecipientOutcome::status).containsOnly(Status.DELIVERED);
        assertThat(testing).extracting(o -> o.policy().orElseThrow()).containsOnly("mta-sts-testing");
    }

    @Test
    void smartHostsNeverApplyMtaSts() {
        policy("corp.test", MtaStsPolicy.Mode.ENFORCE, "*.elsewhere.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.30", 587, ScriptedTransport::delivered);

        List<RecipientOutcome> outcomes = deliverer(transport,
                "transport.rules", "relay",
                "transport.relay.domains", "corp.test",
                "transport.relay.route", "smarthost",
                "transport.relay.host", "relay.test:587").deliver("corp.test", ENVELOPE, MESSAGE);

        assertThat(policyQuestions).isEmpty();
        assertThat(outcomes).extracting(RecipientOutcome::status).containsOnly(Status.DELIVERED);
        assertThat(outcomes).extracting(o -> o.policy().orElseThrow()).containsOnly("required");
    }

    @Test
    void twoDomainsSharingAnMxHostGetTargetsWithDifferentKeysWhenOnlyOneHasAPolicy() {
        policy("partner.test", MtaStsPolicy.Mode.ENFORCE, "up.fallback.test");
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.1", 25, ScriptedTransport::delivered);
        MxDeliverer deliverer = deliverer(transport);

        deliverer.deliver("partner.test", ENVELOPE, MESSAGE);
        deliverer.deliver("xn--bcher-kva.test", ENVELOPE, MESSAGE);

        List<SmtpTarget> targets = transport.targets();
        assertThat(targets).extracting(SmtpTarget::hostName).containsOnly("up.fallback.test");
        assertThat(targets.get(0).tls()).isEqualTo(TlsRequirement.MTA_STS);
        assertThat(targets.get(1).tls()).isEqualTo(TlsRequirement.OPPORTUNISTIC);
        assertThat(targets.get(0).key()).isNotEqualTo(targets.get(1).key());
    }

    @Test
    void aPolicySourceThatThrowsCountsAsNoPolicy() {
        ScriptedTransport transport = new ScriptedTransport()
                .on("127.0.0.1", 25, ScriptedTransport::delivered);
        MxDeliverer deliverer = new MxDeliverer(new MxResolver(List.of(dns.address()), Duration.ofSeconds(1)),
                transport, settings(), RoutingSettings.defaults(), domain -> {
                    throw new IllegalStateException("broken source");
                }, clock);

        List<RecipientOutcome> outcomes = deliverer.deliver("partner.test", ENVELOPE, MESSAGE);

        assertThat(outcomes).extracting(RecipientOutcome::status).containsOnly(Status.DELIVERED);
        assertThat(outcomes).extracting(o -> o.policy().orElseThrow()).containsOnly("opportunistic");
    }

    // ---------------------------------------------------------------- with the real SMTP client

    private static MxDeliverer realClient(int smtpPort, MovableClock clock) {
        return realClient(smtpPort, clock, new SmtpClient(realSettings(smtpPort), clock));
    }

    private static MxDeliverer realClient(int smtpPort, MovableClock clock, SmtpClient client) {
        return new MxDeliverer(new MxResolver(List.of(dns.address()), Duration.ofSeconds(1)), client,
                realSettings(smtpPort), new RoutingSettings(TransportRules.mxOnly(TlsPolicy.NONE), DEAD_HOST_TIME),
                MtaStsPolicySource.NONE, clock);
    }

    private static DeliverySettings realSettings(int smtpPort) {
        return DeliverySettings.builder()
                .remotePort(smtpPort)
                .heloName("client.test")
                .connectTimeout(Duration.ofSeconds(2))
                .greetingTimeout(Duration.ofSeconds(5))
                .commandTimeout(Duration.ofSeconds(5))
                .build();
    }

    private static int closedPort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return probe.getLocalPort();
        }
    }

    @Test
    void realClientFallsBackToTheNextMxWhenTheFirstRefusesConnections() throws Exception {
        try (FakeSmtpServer server = FakeSmtpServer.start(s -> {
            s.reply("220 up.fallback.test ESMTP");
            s.expect("EHLO", "250 up.fallback.test");
            s.expect("MAIL FROM:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("RCPT TO:", "250 Ok");
            s.expect("DATA", "354 go ahead");
            s.data();
            s.reply("250 2.0.0 queued");
            s.expect("QUIT", "221 Bye");
        })) {
            List<RecipientOutcome> outcomes;
            // the pooled client keeps the connection for reuse: closing it sends the QUIT the script waits for
            try (SmtpClient client = new SmtpClient(realSettings(server.port()), clock)) {
                outcomes = realClient(server.port(), clock, client).deliver("fallback.test", ENVELOPE, MESSAGE);
            }
            server.awaitScripts();

            assertThat(outcomes).extracting(RecipientOutcome::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED);
            assertThat(outcomes.get(0).host()).isEqualTo("up.fallback.test");
            assertThat(outcomes.get(0).address()).isEqualTo("127.0.0.1");
        }
    }

    @Test
    void realConnectionRefusalsMakeTheServersDead() throws Exception {
        MxDeliverer deliverer = realClient(closedPort(), clock);

        List<RecipientOutcome> first = deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);
        List<RecipientOutcome> second = deliverer.deliver("alldown.test", ENVELOPE, MESSAGE);

        // every server failed: the last one tells the story
        assertThat(first).hasSize(2).allSatisfy(outcome -> {
            assertThat(outcome.status()).isEqualTo(Status.TEMPORARY);
            assertThat(outcome.attemptStage()).isEqualTo(AttemptStage.CONNECT);
            assertThat(outcome.host()).isEqualTo("down2.alldown.test");
            assertThat(outcome.address()).isEqualTo("127.0.0.3");
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
        });
        assertThat(second).allSatisfy(outcome -> {
            assertThat(outcome.enhancedStatus()).isEqualTo("4.4.1");
            assertThat(outcome.host()).isNull();
            assertThat(outcome.error()).startsWith("all mail servers of alldown.test were unreachable recently");
        });
    }

    /** An SMTP transport that answers from a script per server address and records what it was asked. */
    private static final class ScriptedTransport implements SmtpTransport {
        private final Map<String, BiFunction<SmtpTarget, Envelope, TransactionResult>> scripts = new HashMap<>();
        private final List<SmtpTarget> targets = Collections.synchronizedList(new ArrayList<>());

        /** Servers without a script refuse the connection. */
        ScriptedTransport on(String address, int port, BiFunction<SmtpTarget, Envelope, TransactionResult> script) {
            scripts.put(address + ":" + port, script);
            return this;
        }

        @Override
        public TransactionResult send(SmtpTarget target, Envelope envelope, MessageContent content) {
            targets.add(target);
            return scripts.getOrDefault(target.address().getHostAddress() + ":" + target.port(),
                    ScriptedTransport::refused).apply(target, envelope);
        }

        List<SmtpTarget> targets() {
            return new ArrayList<>(targets);
        }

        List<String> tried() {
            return targets().stream()
                    .map(t -> t.hostName() + "[" + t.address().getHostAddress() + "]:" + t.port())
                    .collect(Collectors.toList());
        }

        void forget() {
            targets.clear();
        }

        static TransactionResult refused(SmtpTarget target, Envelope envelope) {
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                outcomes.add(RecipientOutcome.failureAt(recipient, target.hostName(),
                        target.address().getHostAddress(), AttemptStage.CONNECT, FailureKind.NO_ANSWER,
                        "cannot connect: Connection refused"));
            }
            return new TransactionResult(outcomes, true);
        }

        static TransactionResult delivered(SmtpTarget target, Envelope envelope) {
            return replyToAll(target, envelope, AttemptStage.END_OF_DATA, "250 2.0.0 queued", false);
        }

        static TransactionResult busy(SmtpTarget target, Envelope envelope) {
            return replyToAll(target, envelope, AttemptStage.GREETING, "421 4.3.2 too busy", true);
        }

        static TransactionResult temporaryAtMail(SmtpTarget target, Envelope envelope) {
            return replyToAll(target, envelope, AttemptStage.MAIL, "451 4.3.0 try again later", false);
        }

        private static TransactionResult replyToAll(SmtpTarget target, Envelope envelope, AttemptStage stage, String reply,
                                                    boolean tryNextHost) {
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                outcomes.add(RecipientOutcome.fromReply(recipient, target.hostName(),
                        target.address().getHostAddress(), stage, SmtpReply.parse(List.of(reply))));
            }
            return new TransactionResult(outcomes, tryNextHost);
        }
    }
}
