package org.dispatchmail.core.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.dispatchmail.core.cassandra.CassandraUnavailableException;
import org.dispatchmail.core.delivery.MessageContent;
import org.junit.jupiter.api.Test;

class IntakeRecoveryTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");

    private final InMemoryIntakeJournal journal = new InMemoryIntakeJournal();
    private final Set<String> live = new HashSet<>(Set.of("self", "alive"));
    private final List<IntakeEntry> reinjected = new ArrayList<>();
    private final IntakeRecovery recovery = new IntakeRecovery(journal, () -> live, "self", reinjected::add,
        Duration.ofMinutes(1), NOW.plusSeconds(1));

    private static IntakeEntry entry(String writer, String name) {
        return entry(writer, name, NOW);
    }

    private static IntakeEntry entry(String writer, String name, Instant receivedAt) {
        return new IntakeEntry(writer, name, receivedAt, new byte[] {1, 2},
            MessageContent.ofBytes(("Subject: " + name + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void onlyWritersThatStoppedHeartbeatingAreOrphans() {
        assertThat(IntakeRecovery.orphans(Set.of("self", "alive", "dead"), Set.of("self", "alive"), "self"))
            .containsExactly("dead");
        // this node's own entries are never its orphans, even before its first heartbeat is visible
        assertThat(IntakeRecovery.orphans(Set.of("self"), Set.of("alive"), "self")).isEmpty();
    }

    @Test
    void theMailOfADeadNodeIsReinjectedUnderItsOwnNameAndMovedToThisNode() throws IOException {
        journal.record(entry("dead", "Mail1"));
        journal.record(entry("dead", "Mail2"));
        journal.record(entry("alive", "Mail3"));
        journal.record(entry("self", "Mail4", NOW.plusSeconds(5)));

        assertThat(recovery.runOnce()).isEqualTo(2);

        assertThat(reinjected).extracting(IntakeEntry::mailName).containsExactly("Mail1", "Mail2");
        assertThat(reinjected).extracting(IntakeEntry::writer).containsOnly("self");
        try (InputStream in = reinjected.get(0).content().open()) {
            assertThat(in.readAllBytes()).isEqualTo("Subject: Mail1\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        // kept under this node until its processing ends, so a second death loses nothing either
        assertThat(journal.names("self")).containsExactly("Mail1", "Mail2", "Mail4");
        assertThat(journal.names("dead")).isEmpty();
        assertThat(journal.names("alive")).containsExactly("Mail3");
        assertThat(journal.claims).isEmpty();
        assertThat(journal.registered).containsExactly("alive", "self");
    }

    @Test
    void aNodeRestartedUnderTheSameIdReinjectsItsOwnEntriesFromBeforeItStartedOnce() {
        journal.record(entry("self", "Old", NOW));
        journal.record(entry("self", "Current", NOW.plusSeconds(5)));

        assertThat(recovery.runOnce()).isEqualTo(1);
        assertThat(recovery.runOnce()).isZero();

        assertThat(reinjected).extracting(IntakeEntry::mailName).containsExactly("Old");
        // still journaled until its processing ends this time
        assertThat(journal.names("self")).containsExactly("Current", "Old");
    }

    @Test
    void aSecondPassFindsNothingMoreToReinject() {
        journal.record(entry("dead", "Mail1"));
        recovery.runOnce();

        assertThat(recovery.runOnce()).isZero();
        assertThat(reinjected).hasSize(1);
    }

    @Test
    void aWriterAnotherLiveNodeHasClaimedIsLeftToIt() {
        journal.record(entry("dead", "Mail1"));
        journal.claims.put("dead", "alive");

        assertThat(recovery.runOnce()).isZero();
        assertThat(journal.names("dead")).containsExactly("Mail1");
    }

    @Test
    void noHeartbeatVisibleMeansNoTakeover() {
        journal.record(entry("dead", "Mail1"));
        live.clear();

        assertThat(recovery.runOnce()).isZero();
        assertThat(journal.names("dead")).containsExactly("Mail1");
    }

    @Test
    void aMailThatCannotBeReinjectedStaysJournaledUnderThisNode() {
        journal.record(entry("dead", "Mail1"));
        IntakeRecovery failing = new IntakeRecovery(journal, () -> live, "self", entry -> {
            throw new IllegalStateException("spool closed");
        }, Duration.ofMinutes(1), NOW.plusSeconds(1));

        assertThat(failing.runOnce()).isZero();
        assertThat(journal.names("self")).containsExactly("Mail1");
    }

    @Test
    void cleanUpsThatFailedWhileCassandraWasAwayAreDoneOnTheNextPass() {
        journal.record(entry("self", "Mail1", NOW.plusSeconds(5)));
        journal.down = true;
        recovery.clearLater(new IntakeKey("self", "Mail1"));
        assertThatThrownBy(recovery::runOnce).isInstanceOf(CassandraUnavailableException.class);
        assertThat(recovery.pendingClears()).isEqualTo(1);

        journal.down = false;
        recovery.runOnce();

        assertThat(recovery.pendingClears()).isZero();
        assertThat(journal.names("self")).isEmpty();
    }
}
