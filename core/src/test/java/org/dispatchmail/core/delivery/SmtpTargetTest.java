package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.dispatchmail.core.routing.TlsPolicy;
import org.dispatchmail.core.routing.SmtpCredentials;

class SmtpTargetTest {
    private static SmtpTarget target(String password) throws Exception {
        return new SmtpTarget("relay.test", InetAddress.getByName("192.0.2.5"), 587, TlsPolicy.REQUIRED,
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
}
