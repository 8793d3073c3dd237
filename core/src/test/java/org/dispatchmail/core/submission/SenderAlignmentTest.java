package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class SenderAlignmentTest {
    private final SenderAlignment strict = new SenderAlignment(SenderAlignment.Mode.STRICT);
    private final SenderAlignment relaxed = new SenderAlignment(SenderAlignment.Mode.RELAXED);

    @Test
    void strictAllowsTheLoginAndWhatItWasGranted() {
        List<String> granted = List.of("news@example.com", "@shop.example");
        assertThat(strict.allows("alice@example.com", granted, "Alice@Example.com")).isTrue();
        assertThat(strict.allows("alice@example.com", granted, "news@example.com")).isTrue();
        assertThat(strict.allows("alice@example.com", granted, "anyone@shop.example")).isTrue();
        assertThat(strict.allows("alice@example.com", granted, "bob@example.com")).isFalse();
        assertThat(strict.allows("alice@example.com", granted, "x@sub.shop.example")).isFalse();
        assertThat(strict.allows("alice@example.com", List.of(), "alice@example.com.evil.test")).isFalse();
    }

    @Test
    void relaxedAllowsAnyAddressOfAnAllowedDomain() {
        assertThat(relaxed.allows("alice@example.com", List.of(), "bob@example.com")).isTrue();
        assertThat(relaxed.allows("alice@example.com", List.of("@shop.example"), "x@shop.example")).isTrue();
        assertThat(relaxed.allows("alice@example.com", List.of(), "bob@other.example")).isFalse();
    }
}
