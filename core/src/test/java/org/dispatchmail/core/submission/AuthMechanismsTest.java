package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

class AuthMechanismsTest {
    @Test
    void cramMd5IsOffOutOfTheBox() {
        AuthMechanisms defaults = AuthMechanisms.defaults();

        assertThat(defaults.announced()).isEqualTo("PLAIN LOGIN SCRAM-SHA-256");
        assertThat(defaults.offered("cram-md5")).isEmpty();
        assertThat(defaults.offered("scram-sha-256")).contains("SCRAM-SHA-256");
    }

    @Test
    void theListIsTakenInItsOrderWithoutRepeats() {
        AuthMechanisms listed = AuthMechanisms.of(List.of("scram-sha-256", "CRAM-MD5", "PLAIN", "plain"));

        assertThat(listed.announced()).isEqualTo("SCRAM-SHA-256 CRAM-MD5 PLAIN");
        assertThat(listed.offered("CRAM-MD5")).contains("CRAM-MD5");
        assertThat(listed.offered("LOGIN")).isEmpty();
    }

    @Test
    void anUnknownMechanismOrAnEmptyListIsRefusedWithWhatExists() {
        assertThatThrownBy(() -> AuthMechanisms.of(List.of("PLAIN", "GSSAPI")))
            .hasMessage("'GSSAPI' is not a mechanism of this server; it has PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256");
        assertThatThrownBy(() -> AuthMechanisms.of(List.of())).hasMessageContaining("at least one mechanism");
    }
}
