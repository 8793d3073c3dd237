package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DnsRecordTest {

    private final DkimPrivateKey rsa = TestKeys.RSA.privateKey();
    private final DkimPrivateKey ed = TestKeys.ED25519.privateKey();

    @Test
    void txtValueNamesVersionTypeAndKey() {
        assertThat(DnsRecord.txtValue(ed)).isEqualTo("v=DKIM1; k=ed25519; p=" + ed.publicKeyBase64());
        assertThat(DnsRecord.txtValue(rsa)).isEqualTo("v=DKIM1; k=rsa; p=" + rsa.publicKeyBase64());
    }

    @Test
    void txtStringsAreAtMost255CharactersAndJoinToTheValue() {
        List<String> strings = DnsRecord.txtStrings(rsa);

        assertThat(strings).hasSize(2).allSatisfy(s -> assertThat(s.length()).isLessThanOrEqualTo(255));
        assertThat(String.join("", strings)).isEqualTo(DnsRecord.txtValue(rsa));
        assertThat(DnsRecord.txtStrings(ed)).containsExactly(DnsRecord.txtValue(ed));
    }

    @Test
    void nameIsUnderDomainkey() {
        assertThat(DnsRecord.name("sel", "example.com")).isEqualTo("sel._domainkey.example.com");
        assertThat(DnsRecord.name("Sel", "Example.COM.")).isEqualTo("sel._domainkey.example.com");
        assertThatThrownBy(() -> DnsRecord.name("a b", "example.com")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void publishesItsOwnValueAndItsStringsJoined() {
        assertThat(DnsRecord.publishes(DnsRecord.txtValue(rsa), rsa)).isTrue();
        assertThat(DnsRecord.publishes(String.join("", DnsRecord.txtStrings(rsa)), rsa)).isTrue();
        assertThat(DnsRecord.publishes(DnsRecord.txtValue(ed), ed)).isTrue();
    }

    @Test
    void ignoresOrderWhitespaceAndOptionalTags() {
        String p = ed.publicKeyBase64();
        assertThat(DnsRecord.publishes("p=" + p + "; k=ed25519", ed)).isTrue();
        assertThat(DnsRecord.publishes("  k = ed25519 ;\tp = " + p.substring(0, 20) + " " + p.substring(20) + " ; ", ed))
                .isTrue();
        assertThat(DnsRecord.publishes("v=DKIM1; k=ed25519; h=sha256; s=email; t=s; n=notes; p=" + p, ed)).isTrue();
        assertThat(DnsRecord.publishes("v=DKIM1; p=" + rsa.publicKeyBase64(), rsa)).isTrue(); // k= defaults to rsa
    }

    @Test
    void rejectsAnotherKeyTypeVersionOrRestriction() {
        String p = ed.publicKeyBase64();
        assertThat(DnsRecord.publishes("v=DKIM1; p=" + p, ed)).isFalse(); // k= defaults to rsa
        assertThat(DnsRecord.publishes("v=DKIM1; k=rsa; p=" + p, ed)).isFalse();
        assertThat(DnsRecord.publishes("v=DKIM2; k=ed25519; p=" + p, ed)).isFalse();
        assertThat(DnsRecord.publishes("k=ed25519; h=sha1; p=" + p, ed)).isFalse();
        assertThat(DnsRecord.publishes("k=ed25519; s=tlsrpt; p=" + p, ed)).isFalse();
    }

    @Test
    void rejectsAnotherKeyARevokedKeyAndMalformedRecords() {
        DkimPrivateKey other = DkimKeyGenerator.generate(DkimAlgorithm.ED25519_SHA256).privateKey();
        String p = ed.publicKeyBase64();
        assertThat(DnsRecord.publishes(DnsRecord.txtValue(other), ed)).isFalse();
        assertThat(DnsRecord.publishes("v=DKIM1; k=ed25519; p=", ed)).isFalse();
        assertThat(DnsRecord.publishes("v=DKIM1; k=ed25519", ed)).isFalse();
        assertThat(DnsRecord.publishes("v=DKIM1; k=ed25519; p=" + p + "; p=" + p, ed)).isFalse();
        assertThat(DnsRecord.publishes("v=DKIM1; k=ed25519; garbage; p=" + p, ed)).isFalse();
        assertThat(DnsRecord.publishes("k=ed25519; p=!!notbase64!!", ed)).isFalse();
        assertThat(DnsRecord.publishes("", ed)).isFalse();
        assertThat(DnsRecord.publishes(null, ed)).isFalse();
    }
}
