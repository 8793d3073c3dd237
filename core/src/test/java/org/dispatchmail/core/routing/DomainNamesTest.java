package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DomainNamesTest {

    @Test
    void domainOfIsTheTextAfterTheLastAt() {
        assertThat(DomainNames.domainOf("alice@Example.COM")).isEqualTo("Example.COM");
        assertThat(DomainNames.domainOf("\"a@b\"@example.com")).isEqualTo("example.com");
        assertThat(DomainNames.domainOf("postmaster")).isEmpty();
    }

    @Test
    void toAsciiGivesLowerCaseALabelsWithoutTrailingDot() {
        assertThat(DomainNames.toAscii(" Example.COM. ")).isEqualTo("example.com");
        assertThat(DomainNames.toAscii("Bücher.Example")).isEqualTo("xn--bcher-kva.example");
        assertThatThrownBy(() -> DomainNames.toAscii("a..b")).hasMessageStartingWith("invalid domain name 'a..b'");
        assertThatThrownBy(() -> DomainNames.toAscii("")).hasMessage("empty domain name");
    }

    @Test
    void everyWayOfWritingARecipientDomainGroupsTogether() {
        assertThat(DomainNames.recipientDomain("a@bücher.example")).isEqualTo("xn--bcher-kva.example");
        assertThat(DomainNames.recipientDomain("b@XN--BCHER-KVA.example.")).isEqualTo("xn--bcher-kva.example");
        assertThat(DomainNames.recipientDomain("c@Example.com")).isEqualTo("example.com");
    }

    @Test
    void aNameThatIsNotValidKeepsAGroupOfItsOwn() {
        assertThat(DomainNames.recipientDomain("a@Not..Valid")).isEqualTo("not..valid");
        assertThat(DomainNames.comparable("[192.0.2.1]")).isEqualTo("[192.0.2.1]");
    }
}
