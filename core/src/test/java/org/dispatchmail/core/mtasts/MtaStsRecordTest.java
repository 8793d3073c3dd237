package org.dispatchmail.core.mtasts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.dispatchmail.core.mtasts.MtaStsRecord.Lookup.Kind;
import org.junit.jupiter.api.Test;

class MtaStsRecordTest {

    private static MtaStsRecord.Lookup lookup(String... txt) {
        return MtaStsRecord.fromTxt(List.of(txt));
    }

    @Test
    void theRecordOfRfc8461IsFound() {
        MtaStsRecord.Lookup found = lookup("v=STSv1; id=20160831085700Z;");
        assertThat(found.kind()).isEqualTo(Kind.FOUND);
        assertThat(found.record()).hasValueSatisfying(r -> assertThat(r.id()).isEqualTo("20160831085700Z"));
    }

    @Test
    void spacesAroundDelimitersTheFinalSemicolonAndExtensionsAreAllowed() {
        assertThat(lookup("v=STSv1;id=abc").record().orElseThrow().id()).isEqualTo("abc");
        assertThat(lookup("v=STSv1 ;  id = abc ;\text-1=value;").record().orElseThrow().id()).isEqualTo("abc");
        assertThat(lookup("v=STSv1; ext.name=v; id=A1").record().orElseThrow().id()).isEqualTo("A1");
    }

    @Test
    void recordsOfOtherProtocolsAreIgnored() {
        assertThat(lookup("v=spf1 -all", "v=STSv1; id=one;").record().orElseThrow().id()).isEqualTo("one");
        assertThat(lookup("v=spf1 -all").kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(lookup().kind()).isEqualTo(Kind.NO_RECORD);
        // the version must come first, and is case-sensitive
        assertThat(lookup("id=one; v=STSv1;").kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(lookup("v=stsv1; id=one;").kind()).isEqualTo(Kind.NO_RECORD);
        assertThat(lookup("v=STSv10; id=one;").kind()).isEqualTo(Kind.NO_RECORD);
    }

    @Test
    void twoRecordsMeanNoPolicy() {
        MtaStsRecord.Lookup two = lookup("v=STSv1; id=one;", "v=STSv1; id=two;");
        assertThat(two.kind()).isEqualTo(Kind.MULTIPLE_RECORDS);
        assertThat(two.record()).isEmpty();
        assertThat(two.detail()).contains("2 TXT records");
    }

    @Test
    void malformedRecordsAreInvalidWithTheReason() {
        assertThat(lookup("v=STSv1;").detail()).endsWith("no id");
        assertThat(lookup("v=STSv1").kind()).isEqualTo(Kind.INVALID);
        assertThat(lookup("v=STSv1; id=;").detail()).contains("id '' is not 1 to 32 letters and digits");
        assertThat(lookup("v=STSv1; id=has-dash;").kind()).isEqualTo(Kind.INVALID);
        assertThat(lookup("v=STSv1; id=" + "a".repeat(33) + ";").kind()).isEqualTo(Kind.INVALID);
        assertThat(lookup("v=STSv1; id=" + "a".repeat(32) + ";").kind()).isEqualTo(Kind.FOUND);
        assertThat(lookup("v=STSv1; id=one; id=two;").detail()).endsWith("id appears twice");
        assertThat(lookup("v=STSv1; id=one;; ").detail()).contains("is not name=value");
        assertThat(lookup("v=STSv1; id=one; ext=a b;").detail()).contains("characters a record may not hold");
        assertThat(lookup("v=STSv1; id=one; junk").kind()).isEqualTo(Kind.INVALID);
    }

    @Test
    void theRecordIsLookedUpUnderMtaStsAndADnsFailureIsNotNoRecord() {
        Map<String, List<String>> zone = Map.of("_mta-sts.example.test", List.of("v=STSv1; id=7;"),
                "_mta-sts.none.test", List.of());
        java.util.function.Function<String, Optional<List<String>>> dns = name ->
                name.equals("_mta-sts.broken.test") ? Optional.empty()
                        : Optional.of(zone.getOrDefault(name, List.of()));

        assertThat(MtaStsRecord.lookUp("example.test", dns).record().orElseThrow().id()).isEqualTo("7");
        assertThat(MtaStsRecord.lookUp("none.test", dns).kind()).isEqualTo(Kind.NO_RECORD);
        MtaStsRecord.Lookup failed = MtaStsRecord.lookUp("broken.test", dns);
        assertThat(failed.kind()).isEqualTo(Kind.DNS_FAILED);
        assertThat(failed.detail()).isEqualTo("no answer from DNS for _mta-sts.broken.test TXT");
    }
}
