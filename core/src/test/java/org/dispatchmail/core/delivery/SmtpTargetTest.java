package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.Optional;

import org.junit.jupiter.api.Test;

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
}
