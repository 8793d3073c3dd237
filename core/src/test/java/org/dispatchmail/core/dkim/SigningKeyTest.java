package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SigningKeyTest {

    @Test
    void lowercasesAndDropsTheTrailingDot() {
        SigningKey key = new SigningKey("Mail.Example.COM.", "Sel_2024", TestKeys.ED25519.privateKey());

        assertThat(key.domain()).isEqualTo("mail.example.com");
        assertThat(key.selector()).isEqualTo("sel_2024");
        assertThat(key.key()).isSameAs(TestKeys.ED25519.privateKey());
    }

    @Test
    void acceptsMultiLabelSelectorsAndPunycode() {
        SigningKey key = new SigningKey("xn--bcher-kva.example", "2024.mail", TestKeys.ED25519.privateKey());

        assertThat(key.selector()).isEqualTo("2024.mail");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "localhost", "exa mple.com", "example.com;x=1", "bücher.example", "a..example.com",
        "-a.example.com"})
    void refusesDomainsThatCannotBeAD(String domain) {
        assertThatThrownBy(() -> new SigningKey(domain, "sel", TestKeys.ED25519.privateKey()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("domain");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s;x=1", "s=1", "s 1", "sél"})
    void refusesSelectorsThatWouldChangeTheField(String selector) {
        assertThatThrownBy(() -> new SigningKey("example.com", selector, TestKeys.ED25519.privateKey()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("selector");
    }

    @Test
    void refusesMissingParts() {
        assertThatThrownBy(() -> new SigningKey(null, "s", TestKeys.ED25519.privateKey()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SigningKey("example.com", "s", null)).isInstanceOf(NullPointerException.class);
    }
}
