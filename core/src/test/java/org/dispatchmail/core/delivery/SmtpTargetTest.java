package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.dispatchmail.core.routing.TlsPolicy;
import org.dispatchmail.core.routing.SmtpCredentials;

class SmtpTargetTest {
    private static SmtpTarget target(String password) throws Exception {
        return new SmtpTarget("relay.test", InetAddress.getByName("192.0.2.5"), 587, TlsRequirement.VERIFIED,
            Optional.of(new SmtpCredentials("outbound", password)));
    }

    @Test
    void theSameLoginWithAnotherPasswordIsAnotherTargetAndTheKeyNeverShowsThePassword() throws Exception {
        assertThat(target("right-secret").key()).isEqualTo(target("right-secret").key());
        assertThat(target("right-secret").key()).isNotEqualTo(target("wrong-secret").key());
        assertThat(target("right-secret")).isNotEqualTo(target("wrong-secret"));
        assertThat(target("right-secret").key()).contains("outbound").doesNotContain("right-secret");
    }

    @Test
    void whatLogsShowHasNeitherThePasswordNorAPlainDigestOfIt() throws Exception {
        String shown = target("right-secret").toString();
        assertThat(shown).isEqualTo("relay.test[192.0.2.5]:587/REQUIRED/outbound");
        byte[] sha256 = java.security.MessageDigest.getInstance("SHA-256")
            .digest("right-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String hexPrefix = String.format("%02x%02x%02x%02x", sha256[0], sha256[1], sha256[2], sha256[3]);
        assertThat(target("right-secret").key()).doesNotContain(hexPrefix)
            .doesNotContain(java.util.Base64.getEncoder().encodeToString(sha256).substring(0, 8));
    }

    @Test
    void theTlsRequirementIsPartOfTheKey() throws Exception {
        InetAddress address = InetAddress.getByName("192.0.2.7");
        SmtpTarget opportunistic = new SmtpTarget("mx.shared.test", address, 25, TlsRequirement.OPPORTUNISTIC,
            Optional.empty());
        SmtpTarget verified = new SmtpTarget("mx.shared.test", address, 25, TlsRequirement.VERIFIED, Optional.empty());
        SmtpTarget encrypted = new SmtpTarget("mx.shared.test", address, 25, TlsRequirement.ENCRYPTED,
            Optional.empty());

        assertThat(opportunistic.key()).isNotEqualTo(verified.key()).isNotEqualTo(encrypted.key());
        assertThat(verified.key()).isNotEqualTo(encrypted.key());
        assertThat(opportunistic).isNotEqualTo(verified);
        assertThat(opportunistic).isEqualTo(new SmtpTarget("mx.shared.test", address, 25,
            TlsRequirement.configured(TlsPolicy.OPPORTUNISTIC), Optional.empty()));
    }

    @Test
    void mtaStsRequirementsHaveKeysOfTheirOwn() throws Exception {
        InetAddress address = InetAddress.getByName("192.0.2.7");
        List<TlsRequirement> requirements = List.of(TlsRequirement.NONE, TlsRequirement.OPPORTUNISTIC,
            TlsRequirement.ENCRYPTED, TlsRequirement.VERIFIED, TlsRequirement.MTA_STS,
            TlsRequirement.mtaStsTesting(TlsRequirement.OPPORTUNISTIC), TlsRequirement.mtaStsTesting(TlsRequirement.NONE),
            TlsRequirement.mtaStsTesting(TlsRequirement.VERIFIED));
        Set<String> keys = new HashSet<>();
        for (TlsRequirement requirement : requirements) {
            keys.add(new SmtpTarget("mx.shared.test", address, 25, requirement, Optional.empty()).key());
        }
        assertThat(keys).hasSameSizeAs(requirements);
        // MTA-STS checks what tls=required checks, yet is another requirement, with its own log name
        assertThat(TlsRequirement.MTA_STS).isNotEqualTo(TlsRequirement.VERIFIED);
        assertThat(TlsRequirement.MTA_STS.level()).isEqualTo(TlsRequirement.Level.VERIFIED);
        assertThat(TlsRequirement.MTA_STS.mandatory()).isTrue();
        assertThat(TlsRequirement.MTA_STS.allowsPlainTextAfterFailedHandshake()).isFalse();
        assertThat(TlsRequirement.MTA_STS.certificateCheck()).isEqualTo(CertificateCheck.PKIX_AND_HOST_NAME);
        assertThat(TlsRequirement.mtaStsTesting(TlsRequirement.OPPORTUNISTIC))
            .isEqualTo(TlsRequirement.mtaStsTesting(TlsRequirement.OPPORTUNISTIC))
            .isNotEqualTo(TlsRequirement.OPPORTUNISTIC);
        assertThat(TlsRequirement.mtaStsTesting(TlsRequirement.OPPORTUNISTIC).allowsPlainTextAfterFailedHandshake())
            .isTrue();
        assertThat(requirements).extracting(TlsRequirement::policyName).containsExactly("none", "opportunistic",
            "encrypted", "required", "mta-sts", "mta-sts-testing", "mta-sts-testing", "mta-sts-testing");
        assertThat(TlsRequirement.IMPLICIT_VERIFIED.policyName()).isEqualTo("implicit");
    }

    @Test
    void eachRouteTlsSettingMapsOntoTheRequirementThatBehavesAsItAlwaysHas() {
        assertThat(TlsRequirement.configured(TlsPolicy.NONE)).isEqualTo(TlsRequirement.NONE);
        assertThat(TlsRequirement.configured(TlsPolicy.OPPORTUNISTIC)).isEqualTo(TlsRequirement.OPPORTUNISTIC);
        assertThat(TlsRequirement.configured(TlsPolicy.REQUIRED)).isEqualTo(TlsRequirement.VERIFIED);
        assertThat(TlsRequirement.configured(TlsPolicy.IMPLICIT)).isEqualTo(TlsRequirement.IMPLICIT_VERIFIED);
        for (TlsPolicy policy : TlsPolicy.values()) {
            // the key and the logs keep the words they always had
            assertThat(TlsRequirement.configured(policy)).hasToString(policy.name());
        }
        assertThat(TlsRequirement.OPPORTUNISTIC.allowsPlainTextAfterFailedHandshake()).isTrue();
        assertThat(TlsRequirement.NONE.usesStartTls()).isFalse();
        assertThat(TlsRequirement.IMPLICIT_VERIFIED.usesStartTls()).isFalse();
        for (TlsRequirement strict : java.util.List.of(TlsRequirement.ENCRYPTED, TlsRequirement.VERIFIED,
                TlsRequirement.IMPLICIT_VERIFIED)) {
            assertThat(strict.mandatory()).isTrue();
            assertThat(strict.allowsPlainTextAfterFailedHandshake()).isFalse();
        }
        assertThat(TlsRequirement.VERIFIED.certificateCheck()).isEqualTo(CertificateCheck.PKIX_AND_HOST_NAME);
        assertThat(TlsRequirement.ENCRYPTED.certificateCheck()).isEqualTo(CertificateCheck.NOTE_ONLY);
    }
}
