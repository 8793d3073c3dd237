package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.dispatchmail.core.delivery.MtaStsApplication.Verdict;
import org.dispatchmail.core.mtasts.MtaStsPolicy;
import org.dispatchmail.core.mtasts.MxPattern;
import org.dispatchmail.core.routing.MailHost;
import org.dispatchmail.core.routing.MtaStsOverride;
import org.junit.jupiter.api.Test;

class MtaStsApplicationTest {

    private static final TlsRequirement ROUTE = TlsRequirement.OPPORTUNISTIC;

    private static MtaStsPolicy policy(MtaStsPolicy.Mode mode, String... mx) {
        List<MxPattern> patterns = new ArrayList<>();
        for (String pattern : mx) {
            patterns.add(MxPattern.parse(pattern).orElseThrow());
        }
        return new MtaStsPolicy(mode, patterns, Duration.ofDays(7));
    }

    private static List<MailHost> hosts(String... names) throws Exception {
        List<MailHost> hosts = new ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            hosts.add(new MailHost(names[i], 10 * (i + 1), List.of(InetAddress.getByName("192.0.2." + (i + 1))),
                false));
        }
        return hosts;
    }

    private static MtaStsApplication decide(Optional<MtaStsPolicy> policy, MtaStsOverride override,
                                            List<MailHost> hosts) {
        return MtaStsApplication.decide("example.com", policy, override, ROUTE, hosts);
    }

    private static List<String> names(List<MailHost> hosts) {
        List<String> names = new ArrayList<>();
        hosts.forEach(host -> names.add(host.name()));
        return names;
    }

    @Test
    void enforceWithEveryHostMatchingTriesThemAllWithVerifiedTls() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx1.example.com",
            "mx2.example.com")), MtaStsOverride.AS_PUBLISHED, hosts("mx1.example.com", "mx2.example.com"));

        assertThat(applied.verdict()).isEqualTo(Verdict.ENFORCED);
        assertThat(applied.requirement()).isEqualTo(TlsRequirement.MTA_STS);
        assertThat(applied.requirement().policyName()).isEqualTo("mta-sts");
        assertThat(names(applied.hosts())).containsExactly("mx1.example.com", "mx2.example.com");
        assertThat(applied.nonMatching()).isEmpty();
    }

    @Test
    void enforceSkipsTheHostsThePolicyDoesNotNameAndKeepsTheOrderOfTheOthers() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "*.example.com")),
            MtaStsOverride.AS_PUBLISHED, hosts("mx1.example.com", "evil.attacker.test", "mx2.example.com"));

        assertThat(applied.verdict()).isEqualTo(Verdict.ENFORCED);
        assertThat(names(applied.hosts())).containsExactly("mx1.example.com", "mx2.example.com");
        assertThat(names(applied.nonMatching())).containsExactly("evil.attacker.test");
        assertThat(applied.toString()).contains("not in the policy: evil.attacker.test");
    }

    @Test
    void enforceWithNoMatchingHostLeavesNothingToTryAndNamesTheDomainAndHosts() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx.example.com")),
            MtaStsOverride.AS_PUBLISHED, hosts("mx1.other.test", "mx2.other.test"));

        assertThat(applied.verdict()).isEqualTo(Verdict.NO_MATCHING_MX);
        assertThat(applied.hosts()).isEmpty();
        assertThat(names(applied.nonMatching())).containsExactly("mx1.other.test", "mx2.other.test");
        assertThat(applied.requirement()).isEqualTo(TlsRequirement.MTA_STS);
        assertThat(applied.reason()).contains("example.com").contains("enforce").contains("mx.example.com")
            .contains("mx1.other.test, mx2.other.test");
    }

    @Test
    void enforceWinsOverARouteWithoutTls() throws Exception {
        MtaStsApplication applied = MtaStsApplication.decide("example.com",
            Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx.example.com")), MtaStsOverride.AS_PUBLISHED,
            TlsRequirement.NONE, hosts("mx.example.com"));

        assertThat(applied.verdict()).isEqualTo(Verdict.ENFORCED);
        assertThat(applied.requirement()).isEqualTo(TlsRequirement.MTA_STS);
    }

    @Test
    void testingDeliversAsTheRouteSaysToEveryHostAndReportsWhatEnforceWouldSkip() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.TESTING, "mx.example.com")),
            MtaStsOverride.AS_PUBLISHED, hosts("mx.example.com", "backup.other.test"));

        assertThat(applied.verdict()).isEqualTo(Verdict.TESTING);
        assertThat(applied.requirement()).isEqualTo(TlsRequirement.mtaStsTesting(ROUTE));
        assertThat(applied.requirement().level()).isEqualTo(TlsRequirement.Level.OPPORTUNISTIC);
        assertThat(applied.requirement().policyName()).isEqualTo("mta-sts-testing");
        assertThat(names(applied.hosts())).containsExactly("mx.example.com", "backup.other.test");
        assertThat(names(applied.nonMatching())).containsExactly("backup.other.test");
    }

    @Test
    void theRuleMayDemoteEnforceToTesting() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx.example.com")),
            MtaStsOverride.TESTING, hosts("other.test"));

        assertThat(applied.verdict()).isEqualTo(Verdict.TESTING);
        assertThat(names(applied.hosts())).containsExactly("other.test");
        assertThat(applied.requirement().level()).isEqualTo(TlsRequirement.Level.OPPORTUNISTIC);
        assertThat(applied.reason()).contains("mtaSts=testing");
    }

    @Test
    void theRuleMayTurnAnyPolicyOff() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx.example.com")),
            MtaStsOverride.OFF, hosts("other.test"));

        assertThat(applied.verdict()).isEqualTo(Verdict.NOT_APPLIED);
        assertThat(applied.requirement()).isEqualTo(ROUTE);
        assertThat(names(applied.hosts())).containsExactly("other.test");
        assertThat(applied.reason()).contains("mtaSts=off");
    }

    @Test
    void modeNoneAndNoPolicyLeaveTheRouteAsItIs() throws Exception {
        for (Optional<MtaStsPolicy> policy : List.of(Optional.<MtaStsPolicy>empty(),
                Optional.of(policy(MtaStsPolicy.Mode.NONE)))) {
            MtaStsApplication applied = decide(policy, MtaStsOverride.AS_PUBLISHED, hosts("other.test"));

            assertThat(applied.verdict()).isEqualTo(Verdict.NOT_APPLIED);
            assertThat(applied.requirement()).isSameAs(ROUTE);
            assertThat(names(applied.hosts())).containsExactly("other.test");
            assertThat(applied.nonMatching()).isEmpty();
        }
    }

    @Test
    void wildcardsStandForExactlyOneLeftmostLabel() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "*.mail.example.com")),
            MtaStsOverride.AS_PUBLISHED,
            hosts("mx.mail.example.com", "mail.example.com", "a.b.mail.example.com", "mx.mail.example.com.evil.test"));

        assertThat(names(applied.hosts())).containsExactly("mx.mail.example.com");
        assertThat(names(applied.nonMatching()))
            .containsExactly("mail.example.com", "a.b.mail.example.com", "mx.mail.example.com.evil.test");
    }

    @Test
    void caseAndATrailingDotInMxNamesDoNotMatter() throws Exception {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "MX1.Example.COM",
            "*.Backup.Example.com.")), MtaStsOverride.AS_PUBLISHED,
            hosts("mx1.example.com.", "MX1.EXAMPLE.COM", "b1.backup.EXAMPLE.com.", "mx2.example.com"));

        assertThat(names(applied.hosts())).containsExactly("mx1.example.com.", "MX1.EXAMPLE.COM",
            "b1.backup.EXAMPLE.com.");
        assertThat(names(applied.nonMatching())).containsExactly("mx2.example.com");
    }

    @Test
    void noMxHostsAtAllUnderEnforceIsNoMatchingMx() {
        MtaStsApplication applied = decide(Optional.of(policy(MtaStsPolicy.Mode.ENFORCE, "mx.example.com")),
            MtaStsOverride.AS_PUBLISHED, List.of());

        assertThat(applied.verdict()).isEqualTo(Verdict.NO_MATCHING_MX);
        assertThat(applied.reason()).contains("(none)");
    }

    @Test
    void theNewFailureKindDefersWithASecurityCode() {
        assertThat(FailureKind.MTA_STS_NO_VALID_MX.outcomeStatus()).isEqualTo(RecipientOutcome.Status.TEMPORARY);
        assertThat(FailureKind.MTA_STS_NO_VALID_MX.enhancedStatus().toString()).isEqualTo("4.7.5");
        assertThat(FailureKind.MTA_STS_NO_VALID_MX.tryNextHost()).isFalse();
    }
}
