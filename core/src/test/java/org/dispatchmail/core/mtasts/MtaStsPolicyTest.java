package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.dispatchmail.core.mtasts.MtaStsPolicy.Mode;
import org.junit.jupiter.api.Test;

class MtaStsPolicyTest {

    private static MtaStsPolicy policy(String text) {
        MtaStsPolicy.Parsed parsed = MtaStsPolicy.parse(text);
        assertThat(parsed.error()).as("error").isEmpty();
        return parsed.policy().orElseThrow();
    }

    private static String error(String text) {
        MtaStsPolicy.Parsed parsed = MtaStsPolicy.parse(text);
        assertThat(parsed.policy()).as("policy").isEmpty();
        return parsed.error().orElseThrow();
    }

    @Test
    void theExampleOfRfc8461IsParsedWithCrlfOrLf() {
        String crlf = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
                + "mx: backupmx.example.com\r\nmax_age: 604800\r\n";
        MtaStsPolicy policy = policy(crlf);
        assertThat(policy.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(policy.maxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(policy.mx()).extracting(MxPattern::toString)
                .containsExactly("mail.example.com", "*.example.net", "backupmx.example.com");
        assertThat(policy(crlf.replace("\r\n", "\n"))).isEqualTo(policy);
        // no final line end, spaces after the colon and at the end of a line
        assertThat(policy("version:STSv1\nmode:   enforce \nmx: mail.example.com\nmax_age:\t604800")).isEqualTo(
                policy("version: STSv1\nmode: enforce\nmx: mail.example.com\nmax_age: 604800\n"));
    }

    @Test
    void testingAndNoneModesAndUnknownKeysIgnored() {
        assertThat(policy("version: STSv1\nmode: testing\nmx: mx.example.org\nmax_age: 86400\n").mode())
                .isEqualTo(Mode.TESTING);
        MtaStsPolicy none = policy("version: STSv1\nmode: none\nmax_age: 86400\n");
        assertThat(none.mode()).isEqualTo(Mode.NONE);
        assertThat(none.mx()).isEmpty();
        assertThat(policy("version: STSv1\nfuture_key: anything: at all\nmode: enforce\nmx: a.example\n"
                + "max_age: 60\n").mode()).isEqualTo(Mode.ENFORCE);
    }

    @Test
    void maxAgeIsCappedAtAboutAYear() {
        String base = "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: ";
        assertThat(policy(base + "31557600\n").maxAge()).isEqualTo(MtaStsPolicy.MAX_AGE_LIMIT);
        assertThat(policy(base + "9999999999\n").maxAge()).isEqualTo(MtaStsPolicy.MAX_AGE_LIMIT);
        assertThat(policy(base + "0\n").maxAge()).isEqualTo(Duration.ZERO);
        assertThat(error(base + "99999999999\n")).contains("max_age '99999999999' is not 1 to 10 digits");
        assertThat(error(base + "-1\n")).contains("is not 1 to 10 digits");
        assertThat(error(base + "1d\n")).contains("is not 1 to 10 digits");
    }

    @Test
    void invalidPoliciesSayWhatIsWrong() {
        assertThat(error("mode: enforce\nmx: a.example\nmax_age: 60\n")).isEqualTo("invalid policy: no version");
        assertThat(error("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 60\n"))
                .isEqualTo("invalid policy: line 1: version 'STSv2' is not STSv1");
        assertThat(error("version: STSv1\nmx: a.example\nmax_age: 60\n")).endsWith("no mode");
        assertThat(error("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 60\n"))
                .endsWith("line 2: mode 'Enforce' is not enforce, testing or none");
        assertThat(error("version: STSv1\nmode: enforce\nmx: a.example\n")).endsWith("no max_age");
        assertThat(error("version: STSv1\nmode: enforce\nmax_age: 60\n")).endsWith("no mx, which mode enforce needs");
        assertThat(error("version: STSv1\nmode: testing\nmax_age: 60\n")).endsWith("which mode testing needs");
        assertThat(error("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 60\n"))
                .endsWith("line 3: mode appears twice");
        assertThat(error("version: STSv1\nthis line has no colon\n")).endsWith("line 2: not 'key: value'");
        assertThat(error("<html>\n<body>not a policy</body>\n")).endsWith("line 1: not 'key: value'");
        assertThat(error("")).endsWith("no version");
    }

    @Test
    void aWildcardIsOnlyTheWholeLeftmostLabel() {
        String base = "version: STSv1\nmode: enforce\nmax_age: 60\nmx: ";
        assertThat(error(base + "mail.*.example\n")).contains("a wildcard may only be the whole leftmost label");
        assertThat(error(base + "*mail.example\n")).contains("mx '*mail.example'");
        assertThat(error(base + "*\n")).contains("mx '*'");
        assertThat(error(base + "*.\n")).contains("mx '*.'");
        assertThat(error(base + "mail..example\n")).contains("mx 'mail..example'");
        assertThat(error(base + "mail example\n")).contains("mx 'mail example'");
        assertThat(error(base + "\n")).contains("mx ''");
    }

    @Test
    void mxHostsMatchAsSection41Says() {
        MtaStsPolicy policy = policy("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"
                + "max_age: 60\n");
        assertThat(policy.allowsMx("mail.example.com")).isTrue();
        assertThat(policy.allowsMx("MAIL.Example.COM.")).isTrue();
        assertThat(policy.allowsMx("mx1.example.net")).isTrue();
        assertThat(policy.allowsMx("mx1.example.net.")).isTrue();
        // the wildcard covers exactly one label
        assertThat(policy.allowsMx("example.net")).isFalse();
        assertThat(policy.allowsMx("a.b.example.net")).isFalse();
        assertThat(policy.allowsMx(".example.net")).isFalse();
        assertThat(policy.allowsMx("mx1.example.net.evil.test")).isFalse();
        assertThat(policy.allowsMx("xmail.example.com")).isFalse();
        assertThat(policy.allowsMx("other.example.com")).isFalse();
        assertThat(policy("version: STSv1\nmode: none\nmax_age: 60\n").allowsMx("mail.example.com")).isFalse();
    }
}
