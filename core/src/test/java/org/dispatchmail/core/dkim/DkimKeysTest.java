package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.SigningKey;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DkimKeysTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:00Z");

    @TempDir
    Path dir;

    private final MovableClock clock = new MovableClock(T0);
    private final MemoryKeyStore store = new MemoryKeyStore();
    /** What the test's "DNS" serves: name to TXT values. */
    private final Map<String, List<String>> dns = new HashMap<>();
    private DkimKeys keys;

    @BeforeEach
    void setUp() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey.createFile(file);
        keys = new DkimKeys(store, MasterKey.fromFile(file), name -> dns.getOrDefault(name, List.of()),
            DkimSettings.from(new ConfigReader("dispatch.properties", Map.of(
                "dkim.gracePeriod", "7d", "dkim.keyCacheTtl", "0s", "dkim.requiredDomains", "*.bank.example"))),
            clock);
    }

    private void publish(DomainKey key) {
        dns.computeIfAbsent(key.dnsName(), name -> new ArrayList<>()).add(key.txtValue());
    }

    private List<String> signingSelectors(String domain) {
        return keys.signingKeys(domain).stream().map(SigningKey::selector).sorted().collect(Collectors.toList());
    }

    @Test
    void newKeysArePendingAndSignOnlyOnceDnsShowsThem() {
        List<DomainKey> made = keys.generate("Example.COM", List.of(), Optional.empty());

        assertThat(made).extracting(DomainKey::algorithm)
            .containsExactly(DkimAlgorithm.RSA_SHA256, DkimAlgorithm.ED25519_SHA256);
        assertThat(made).extracting(DomainKey::selector).containsExactly("d20261129-rsa", "d20261129-ed");
        assertThat(made).allMatch(k -> k.domain().equals("example.com") && k.state() == KeyState.PENDING);
        assertThat(keys.signingKeys("example.com")).isEmpty();

        publish(made.get(1));
        assertThat(keys.maintain()).extracting(DomainKey::selector).containsExactly("d20261129-ed");
        assertThat(signingSelectors("example.com")).containsExactly("d20261129-ed");

        publish(made.get(0));
        keys.maintain();
        assertThat(signingSelectors("example.com")).containsExactly("d20261129-ed", "d20261129-rsa");
    }

    @Test
    void aRecordForAnotherKeyDoesNotActivate() {
        DomainKey key = keys.generate("example.com", List.of(DkimAlgorithm.ED25519_SHA256), Optional.of("s1")).get(0);
        DomainKey other = keys.generate("example.com", List.of(DkimAlgorithm.ED25519_SHA256), Optional.of("s2")).get(0);
        dns.put(key.dnsName(), List.of(other.txtValue()));

        assertThat(keys.maintain()).isEmpty();
    }

    @Test
    void rotationKeepsTheOldKeySigningUntilTheNewOneIsPublishedThenRetiresAndDeletesIt() {
        DomainKey first = keys.generate("example.com", List.of(DkimAlgorithm.RSA_SHA256), Optional.empty()).get(0);
        publish(first);
        keys.maintain();

        clock.advance(Duration.ofDays(1));
        List<DomainKey> successors = keys.rotate("example.com");
        assertThat(successors).hasSize(1);
        DomainKey second = successors.get(0);
        assertThat(second.selector()).isEqualTo("d20261130-rsa");
        assertThat(keys.rotate("example.com")).as("a successor is already waiting").isEmpty();
        keys.maintain();
        assertThat(signingSelectors("example.com")).containsExactly(first.selector());

        publish(second);
        keys.maintain();
        assertThat(signingSelectors("example.com")).containsExactly(second.selector());
        DomainKey retired = keys.key("example.com", first.selector()).orElseThrow();
        assertThat(retired.state()).isEqualTo(KeyState.RETIRED);
        assertThat(retired.deleteAfter()).contains(clock.instant().plus(Duration.ofDays(7)));

        clock.advance(Duration.ofDays(7));
        keys.maintain();
        assertThat(keys.key("example.com", first.selector())).isEmpty();
        assertThat(keys.key("example.com", second.selector())).isPresent();
    }

    @Test
    void aThreadThatSignedWithTheOldKeySignsWithTheNewOneOnceItReplacesIt() {
        DomainKey first = keys.generate("example.com", List.of(DkimAlgorithm.RSA_SHA256), Optional.empty()).get(0);
        publish(first);
        keys.maintain();
        DkimSigner signer = new DkimSigner(clock);
        DkimVerifier verifier = new DkimVerifier(name -> Optional.of(dns.getOrDefault(name, List.of())), clock);
        byte[] message = DkimVerifierTest.MESSAGE.getBytes(StandardCharsets.UTF_8);
        String before = signer.sign(message, keys.signingKeys("example.com")).get(0);
        assertThat(verifier.verify(DkimSigner.prepend(List.of(before), message)))
            .extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);

        clock.advance(Duration.ofDays(1));
        DomainKey second = keys.rotate("example.com").get(0);
        publish(second);
        keys.maintain();
        String after = signer.sign(message, keys.signingKeys("example.com")).get(0);

        // the new selector's record only verifies a signature made with the new private key
        assertThat(after).contains("s=" + second.selector() + ";");
        assertThat(verifier.verify(DkimSigner.prepend(List.of(after), message)))
            .extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);
    }

    @Test
    void anActiveKeyOlderThanAutoRotateAfterGetsASuccessorOnce() throws Exception {
        Path file = dir.resolve("master2.key");
        MasterKey.createFile(file);
        DkimKeys rotating = new DkimKeys(store, MasterKey.fromFile(file), name -> dns.getOrDefault(name, List.of()),
            DkimSettings.from(new ConfigReader("dispatch.properties", Map.of("dkim.autoRotateAfter", "90d"))), clock);
        DomainKey key = rotating.generate("example.com", List.of(DkimAlgorithm.ED25519_SHA256), Optional.empty()).get(0);
        publish(key);
        rotating.maintain();

        clock.advance(Duration.ofDays(89));
        rotating.maintain();
        assertThat(rotating.list(Optional.of("example.com"))).hasSize(1);

        clock.advance(Duration.ofDays(1));
        rotating.maintain();
        rotating.maintain();
        List<DomainKey> all = rotating.list(Optional.of("example.com"));
        assertThat(all).hasSize(2);
        assertThat(all.get(1).state()).isEqualTo(KeyState.PENDING);
        assertThat(all.get(1).selector()).isEqualTo("d20270227-ed");
    }

    @Test
    void retireStopsSigningAtOnceAndDeleteRemovesTheKey() {
        DomainKey key = keys.generate("example.com", List.of(DkimAlgorithm.ED25519_SHA256), Optional.empty()).get(0);
        publish(key);
        keys.maintain();

        keys.retire("example.com", key.selector());
        assertThat(keys.signingKeys("example.com")).isEmpty();
        assertThat(keys.delete("example.com", key.selector())).isTrue();
        assertThat(keys.delete("example.com", key.selector())).isFalse();
    }

    @Test
    void requiredDomainsMatchExactNamesAndSubdomainPatterns() {
        assertThat(keys.signatureRequired("www.bank.example")).isTrue();
        assertThat(keys.signatureRequired("bank.example")).isFalse();
        assertThat(keys.signatureRequired("example.com")).isFalse();
    }

    @Test
    void badInputIsRefusedWithItsReason() {
        assertThatThrownBy(() -> keys.generate("not a domain", List.of(), Optional.empty()))
            .hasMessage("'not a domain' is not a domain name");
        assertThatThrownBy(() -> keys.generate("example.com", List.of(DkimAlgorithm.RSA_SHA256), Optional.of("bad_selector!")))
            .hasMessageContaining("is not a valid selector");
        assertThatThrownBy(() -> keys.generate("example.com", List.of(), Optional.of("s1")))
            .hasMessageContaining("one selector names one key");
        keys.generate("example.com", List.of(DkimAlgorithm.RSA_SHA256), Optional.of("s1"));
        assertThatThrownBy(() -> keys.generate("example.com", List.of(DkimAlgorithm.RSA_SHA256), Optional.of("s1")))
            .hasMessage("domain example.com already has a key with selector s1");
        assertThatThrownBy(() -> keys.retire("example.com", "nope")).hasMessage("no DKIM key nope for example.com");
    }

    @Test
    void anInternationalDomainIsFiledUnderItsALabel() {
        DomainKey key = keys.generate("bücher.example", List.of(DkimAlgorithm.ED25519_SHA256), Optional.empty()).get(0);
        assertThat(key.domain()).isEqualTo("xn--bcher-kva.example");
    }
}
