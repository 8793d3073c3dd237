package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

import org.dispatchmail.core.queue.GreylistMemory.Prober;
import org.dispatchmail.core.retry.RetryDecision.Basis;
import org.junit.jupiter.api.Test;

class ProberTurnTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private final UUID mine = UUID.randomUUID();
    private final UUID other = UUID.randomUUID();

    @Test
    void withoutAProberOrAsTheProberTheRecipientProbes() {
        assertThat(ProberTurn.of(Optional.empty(), mine, Basis.WAIT_FOR_PROBER)).isEqualTo(ProberTurn.PROBE);
        assertThat(ProberTurn.of(Optional.of(new Prober(mine, NOW)), mine, Basis.WAIT_FOR_PROBER))
            .isEqualTo(ProberTurn.PROBE);
    }

    @Test
    void anotherMessagesProberIsWaitedForWhenWaitingComesFirst() {
        assertThat(ProberTurn.of(Optional.of(new Prober(other, NOW)), mine, Basis.WAIT_FOR_PROBER))
            .isEqualTo(ProberTurn.WAIT);
    }

    @Test
    void anotherMessagesProberIsNotWaitedForWhenTheOwnProbeComesFirst() {
        assertThat(ProberTurn.of(Optional.of(new Prober(other, NOW)), mine, Basis.PROBE)).isEqualTo(ProberTurn.KEEP);
    }
}
