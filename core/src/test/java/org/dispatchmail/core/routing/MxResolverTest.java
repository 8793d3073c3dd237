package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dispatchmail.core.routing.MxResolution.Kind;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MxResolverTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    // the root zone's KSK-2017 DS record; any anchor would do, since the test zone is unsigned
    private static final String ROOT_TRUST_ANCHOR =
            ".,20326,8,2,E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D";

    private static DnsmasqServer dns;
    private static int deadPort;

    @BeforeAll
    static void startDns() throws Exception {
        deadPort = DnsmasqServer.freePort();
        dns = DnsmasqServer.start(List.of(
                // three MX hosts, two sharing a preference
                "--mx-host=sink.test,mx.sink.test,10",
                "--mx-host=sink.test,mx2.sink.test,20",
                "--mx-host=sink.test,mx3.sink.test,20",
                "--host-record=mx.sink.test,127.0.0.25",
                "--host-record=mx2.sink.test,127.0.0.26",
                "--host-record=mx3.sink.test,127.0.0.27",
                // one host with both families
                "--mx-host=dual.test,mx.dual.test,10",
                "--host-record=mx.dual.test,127.0.0.28,::1",
                // the preferred MX has no address and is skipped
                "--mx-host=partial.test,noaddr.partial.test,5",
                "--mx-host=partial.test,mx.sink.test,10",
                // no MX host resolves
                "--mx-host=dangling.test,nowhere.dangling.test,10",
                "--mx-host=null.test,.,0",
                "--host-record=implicit.test,127.0.0.26",
                // an existing name with neither MX nor address: it exists because a subdomain does
                "--host-record=www.empty.test,127.0.0.29",
                "--mx-host=xn--bcher-kva.test,mx.sink.test,10",
                // smart hosts: address records only
                "--host-record=relay.test,127.0.0.30,::1",
                "--host-record=relais.xn--bcher-kva.test,127.0.0.31",
                // forwarded to a port where nothing listens
                "--server=/servfail.test/127.0.0.1#" + deadPort));
    }

    @AfterAll
    static void stopDns() throws Exception {
        if (dns != null) {
            dns.close();
        }
    }

    private static MxResolver resolver() {
        return new MxResolver(List.of(dns.address()), TIMEOUT);
    }

    private static List<String> names(MxResolution resolution) {
        return resolution.hosts().stream().map(MailHost::name).collect(Collectors.toList());
    }

    @Test
    void mxHostsComeInPreferenceOrderWithTheirAddresses() throws Exception {
        MxResolution resolution = resolver().resolve("sink.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(resolution.hosts()).hasSize(3);
        MailHost first = resolution.hosts().get(0);
        assertThat(first.name()).isEqualTo("mx.sink.test");
        assertThat(first.preference()).isEqualTo(10);
        assertThat(first.implicit()).isFalse();
        assertThat(first.addresses()).containsExactly(InetAddress.getByName("127.0.0.25"));
        assertThat(names(resolution).subList(1, 3)).containsExactlyInAnyOrder("mx2.sink.test", "mx3.sink.test");
        assertThat(resolution.hosts()).extracting(MailHost::preference).containsExactly(10, 20, 20);
    }

    @Test
    void equalPreferencesAreShuffled() {
        MxResolver resolver = resolver();
        Set<String> secondPlaces = new HashSet<>();
        // with a fair shuffle, 64 draws all landing on one host has probability 2^-63
        for (int i = 0; i < 64 && secondPlaces.size() < 2; i++) {
            MxResolution resolution = resolver.resolve("sink.test");
            assertThat(names(resolution).get(0)).isEqualTo("mx.sink.test");
            secondPlaces.add(names(resolution).get(1));
        }
        assertThat(secondPlaces).containsExactlyInAnyOrder("mx2.sink.test", "mx3.sink.test");
    }

    @Test
    void ipv4AddressesComeBeforeIpv6() throws Exception {
        MxResolution resolution = resolver().resolve("dual.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(resolution.hosts().get(0).addresses())
                .containsExactly(InetAddress.getByName("127.0.0.28"), InetAddress.getByName("::1"));
    }

    @Test
    void mxHostWithoutAddressIsSkipped() {
        MxResolution resolution = resolver().resolve("partial.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(names(resolution)).containsExactly("mx.sink.test");
        assertThat(resolution.detail()).contains("noaddr.partial.test");
    }

    @Test
    void mxRecordsWithoutAnyUsableHostAreATemporaryFailure() {
        MxResolution resolution = resolver().resolve("dangling.test");

        assertThat(resolution.kind()).isEqualTo(Kind.TEMPORARY_FAILURE);
        assertThat(resolution.hosts()).isEmpty();
        assertThat(resolution.detail()).contains("nowhere.dangling.test");
    }

    @Test
    void domainWithoutMxIsItsOwnImplicitMx() throws Exception {
        MxResolution resolution = resolver().resolve("implicit.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        MailHost host = resolution.hosts().get(0);
        assertThat(resolution.hosts()).hasSize(1);
        assertThat(host.name()).isEqualTo("implicit.test");
        assertThat(host.implicit()).isTrue();
        assertThat(host.addresses()).containsExactly(InetAddress.getByName("127.0.0.26"));
    }

    @Test
    void domainWithNeitherMxNorAddressHasNoMailHost() {
        MxResolution resolution = resolver().resolve("empty.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.NO_SUCH_DOMAIN);
        assertThat(resolution.detail()).contains("no MX and no address");
    }

    @Test
    void nullMxMeansTheDomainTakesNoMail() {
        MxResolution resolution = resolver().resolve("null.test");

        assertThat(resolution.kind()).isEqualTo(Kind.NULL_MX);
        assertThat(resolution.hosts()).isEmpty();
        assertThat(resolution.detail()).contains("null MX");
    }

    @Test
    void nonExistentDomain() {
        MxResolution resolution = resolver().resolve("does-not-exist.test");

        assertThat(resolution.kind()).isEqualTo(Kind.NO_SUCH_DOMAIN);
        assertThat(resolution.detail()).contains("NXDOMAIN");
    }

    @Test
    void internationalisedDomainIsLookedUpAsALabels() {
        MxResolution resolution = resolver().resolve("bücher.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(names(resolution)).containsExactly("mx.sink.test");
    }

    @Test
    void trailingDotAndCaseDoNotMatter() {
        assertThat(names(resolver().resolve("SINK.Test."))).first().isEqualTo("mx.sink.test");
    }

    @Test
    void invalidDomainIsNotLookedUp() {
        assertThat(resolver().resolve("").kind()).isEqualTo(Kind.NO_SUCH_DOMAIN);
        assertThat(resolver().resolve("a..b").kind()).isEqualTo(Kind.NO_SUCH_DOMAIN);
    }

    @Test
    void serverFailureIsTemporary() throws Exception {
        // A validating dnsmasq in front of an unsigned one finds the answer bogus and says SERVFAIL.
        try (DnsmasqServer unsigned = DnsmasqServer.start(List.of(
                "--local=/example/", "--mx-host=bogus.example,mx.bogus.example,10"));
             DnsmasqServer validating = DnsmasqServer.start(List.of(
                     "--dnssec", "--dnssec-check-unsigned", "--trust-anchor=" + ROOT_TRUST_ANCHOR,
                     "--server=" + unsigned.address().replace(':', '#')))) {
            MxResolution resolution = new MxResolver(List.of(validating.address()), TIMEOUT).resolve("bogus.example");

            assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.TEMPORARY_FAILURE);
            assertThat(resolution.detail()).contains("SERVFAIL");
        }
    }

    @Test
    void refusedQueryIsTemporary() {
        // this dnsmasq has no upstream for names outside .test, and answers REFUSED
        MxResolution resolution = resolver().resolve("elsewhere.example");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.TEMPORARY_FAILURE);
        assertThat(resolution.detail()).contains("REFUSED");
    }

    @Test
    void upstreamThatNeverAnswersIsATemporaryFailure() {
        // dnsmasq 2.90 sends nothing back when its upstream is dead: the client's timeout decides
        MxResolver resolver = new MxResolver(List.of(dns.address()), Duration.ofSeconds(1));

        MxResolution resolution = resolver.resolve("servfail.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.TEMPORARY_FAILURE);
        assertThat(resolution.detail()).contains("servfail.test").containsIgnoringCase("timed out");
    }

    @Test
    void unreachableServerIsATemporaryFailureWithinTheTimeout() {
        MxResolver resolver = new MxResolver(List.of("127.0.0.1:" + deadPort), Duration.ofSeconds(1));

        long start = System.nanoTime();
        MxResolution resolution = resolver.resolve("sink.test");
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

        assertThat(resolution.kind()).isEqualTo(Kind.TEMPORARY_FAILURE);
        assertThat(resolution.detail()).startsWith("MX lookup for sink.test failed");
        assertThat(elapsed).isLessThan(Duration.ofSeconds(4));
    }

    @Test
    void resolversPointedAtDifferentServersDoNotShareAnswers() throws Exception {
        try (DnsmasqServer other = DnsmasqServer.start(List.of(
                "--mx-host=sink.test,other-mx.sink.test,10",
                "--host-record=other-mx.sink.test,127.0.0.99"))) {
            MxResolver first = resolver();
            MxResolver second = new MxResolver(List.of(other.address()), TIMEOUT);

            assertThat(names(first.resolve("sink.test"))).first().isEqualTo("mx.sink.test");
            assertThat(names(second.resolve("sink.test"))).containsExactly("other-mx.sink.test");
            assertThat(names(first.resolve("sink.test"))).first().isEqualTo("mx.sink.test");
        }
    }

    @Test
    void smartHostIsLookedUpByAddressRecords() throws Exception {
        MxResolution resolution = resolver().resolveHost("Relay.Test.");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(resolution.hosts()).hasSize(1);
        MailHost host = resolution.hosts().get(0);
        assertThat(host.name()).isEqualTo("relay.test");
        assertThat(host.implicit()).isFalse();
        assertThat(host.addresses())
                .containsExactly(InetAddress.getByName("127.0.0.30"), InetAddress.getByName("::1"));
    }

    @Test
    void smartHostLookupIgnoresMxRecords() {
        // sink.test has MX records but no address of its own
        MxResolution resolution = resolver().resolveHost("sink.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.NO_SUCH_DOMAIN);
        assertThat(resolution.detail()).contains("sink.test").contains("no A or AAAA record");
    }

    @Test
    void smartHostThatDoesNotExist() {
        MxResolution resolution = resolver().resolveHost("nothing-here.test");

        assertThat(resolution.kind()).isEqualTo(Kind.NO_SUCH_DOMAIN);
        assertThat(resolution.detail()).contains("NXDOMAIN");
    }

    @Test
    void internationalisedSmartHostIsLookedUpAsALabels() throws Exception {
        MxResolution resolution = resolver().resolveHost("relais.bücher.test");

        assertThat(resolution.kind()).as(resolution.toString()).isEqualTo(Kind.HOSTS);
        assertThat(resolution.hosts().get(0).name()).isEqualTo("relais.xn--bcher-kva.test");
        assertThat(resolution.hosts().get(0).addresses()).containsExactly(InetAddress.getByName("127.0.0.31"));
    }

    @Test
    void smartHostAsAnIpLiteralNeedsNoDns() throws Exception {
        // nothing listens at this DNS server: a lookup would fail
        MxResolver noDns = new MxResolver(List.of("127.0.0.1:" + deadPort), Duration.ofSeconds(1));

        assertThat(noDns.resolveHost("192.0.2.7").hosts().get(0).addresses())
                .containsExactly(InetAddress.getByName("192.0.2.7"));
        assertThat(noDns.resolveHost("2001:db8::7").hosts().get(0).addresses())
                .containsExactly(InetAddress.getByName("2001:db8::7"));
        assertThat(noDns.resolveHost("300.1.1.1").kind()).isEqualTo(Kind.NO_SUCH_DOMAIN);
    }

    @Test
    void smartHostLookupFailureIsTemporary() {
        MxResolver noDns = new MxResolver(List.of("127.0.0.1:" + deadPort), Duration.ofSeconds(1));

        MxResolution resolution = noDns.resolveHost("relay.test");

        assertThat(resolution.kind()).isEqualTo(Kind.TEMPORARY_FAILURE);
        assertThat(resolution.detail()).startsWith("address lookup for relay.test failed");
    }
}
