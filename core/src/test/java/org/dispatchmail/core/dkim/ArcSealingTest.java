package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dispatchmail.core.MovableClock;
import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.KeyRecordLookup;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArcSealingTest {
    private static final String MESSAGE = "From: Alice <alice@example.com>\r\n"
        + "To: bob@forward.example\r\n"
        + "Subject: Hello\r\n"
        + "\r\n"
        + "Hi\r\n";

    @TempDir
    Path dir;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    private final Map<String, List<String>> dns = new HashMap<>();
    private final KeyRecordLookup lookup = name -> Optional.of(dns.getOrDefault(name, List.of()));
    private DkimKeys keys;

    @BeforeEach
    void setUp() throws Exception {
        Path file = dir.resolve("master.key");
        MasterKey.createFile(file);
        keys = new DkimKeys(new MemoryKeyStore(), MasterKey.fromFile(file), name -> dns.getOrDefault(name, List.of()),
            DkimSettings.from(new ConfigReader("dispatch.properties", Map.of("dkim.keyCacheTtl", "0s"))), clock);
    }

    @Test
    void sealsWithTheDomainsRsaKeyAndRecordsTheDkimResult() {
        activate("forward.example", DkimAlgorithm.ED25519_SHA256, DkimAlgorithm.RSA_SHA256);
        ArcSealing sealing = new ArcSealing("Forward.Example", keys, lookup, "mx1.forward.example", clock);

        ArcSealing.Outcome outcome = sealing.seal(MESSAGE.getBytes(StandardCharsets.US_ASCII));

        assertThat(outcome.isSealed()).isTrue();
        assertThat(outcome.fields()).hasSize(3);
        assertThat(outcome.fields().get(0)).startsWith("ARC-Seal: i=1; a=rsa-sha256;").contains("d=forward.example;");
        assertThat(outcome.summary()).isEqualTo("i=1 cv=none dkim=none");
    }

    @Test
    void aDomainWithoutAnActiveRsaKeyLeavesTheMessageUnsealed() {
        activate("forward.example", DkimAlgorithm.ED25519_SHA256);
        ArcSealing sealing = new ArcSealing("forward.example", keys, lookup, "mx1.forward.example", clock);

        ArcSealing.Outcome outcome = sealing.seal(MESSAGE.getBytes(StandardCharsets.US_ASCII));

        assertThat(outcome.isSealed()).isFalse();
        assertThat(outcome.fields()).isEmpty();
        assertThat(outcome.summary()).isEqualTo("not sealed: arc.domain forward.example has no active rsa-sha256 DKIM key");
    }

    @Test
    void aMessageWithoutFromIsNotSealed() {
        activate("forward.example", DkimAlgorithm.RSA_SHA256);
        ArcSealing sealing = new ArcSealing("forward.example", keys, lookup, "mx1.forward.example", clock);

        ArcSealing.Outcome outcome = sealing.seal("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));

        assertThat(outcome.isSealed()).isFalse();
        assertThat(outcome.summary()).contains("no From:");
    }

    private void activate(String domain, DkimAlgorithm... algorithms) {
        for (DomainKey key : keys.generate(domain, List.of(algorithms), Optional.empty())) {
            dns.computeIfAbsent(key.dnsName(), name -> new ArrayList<>()).add(key.txtValue());
        }
        keys.maintain();
    }
}
