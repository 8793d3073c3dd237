package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.dispatchmail.core.config.ConfigReader;
import org.junit.jupiter.api.Test;

class SubmissionSettingsTest {
    private static SubmissionSettings of(Map<String, String> values) {
        return SubmissionSettings.from(new ConfigReader("dispatch.properties", values));
    }

    @Test
    void theDefaultsOfferNoCramMd5AndHashOffTheSmtpThreads() {
        SubmissionSettings defaults = of(Map.of());

        assertThat(defaults.mechanisms().announced()).isEqualTo("PLAIN LOGIN SCRAM-SHA-256");
        assertThat(defaults.scramIterations()).isEqualTo(10_000);
        assertThat(defaults.authThreads()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(defaults.authMaxConcurrentPerAddress()).isEqualTo(3);
    }

    @Test
    void mechanismsAreListedWithSpacesOrCommas() {
        assertThat(of(Map.of("submission.mechanisms", "scram-sha-256, cram-md5")).mechanisms().announced())
            .isEqualTo("SCRAM-SHA-256 CRAM-MD5");
    }

    @Test
    void badValuesNameTheFileAndTheKey() {
        assertThatThrownBy(() -> of(Map.of("submission.mechanisms", "PLAIN XOAUTH2")))
            .hasMessageStartingWith("dispatch.properties: submission.mechanisms 'PLAIN XOAUTH2': 'XOAUTH2' is not a"
                + " mechanism of this server");
        assertThatThrownBy(() -> of(Map.of("submission.scramIterations", "1000")))
            .hasMessageContaining("submission.scramIterations");
        assertThatThrownBy(() -> of(Map.of("submission.authMaxFailures", "5")))
            .hasMessageContaining("submission.authMaxFailuresPerAddress")
            .hasMessageContaining("submission.authMaxFailuresPerLogin");
    }
}
