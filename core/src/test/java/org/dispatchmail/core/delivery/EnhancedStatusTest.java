package org.dispatchmail.core.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EnhancedStatusTest {

    @Test
    void parsesClassSubjectAndDetail() {
        EnhancedStatus status = EnhancedStatus.parse("4.7.10");

        assertThat(status.statusClass()).isEqualTo(4);
        assertThat(status.subject()).isEqualTo(7);
        assertThat(status.detail()).isEqualTo(10);
        assertThat(status.isPermanent()).isFalse();
        assertThat(status).hasToString("4.7.10").isEqualTo(EnhancedStatus.of(4, 7, 10));
    }

    @Test
    void refusesWhatIsNotAnEnhancedStatusCode() {
        assertThatThrownBy(() -> EnhancedStatus.parse("3.1.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnhancedStatus.parse("5.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnhancedStatus.parse("5.1.1000")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EnhancedStatus.of(5, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyFailureKindReportsAStatusOfItsOwnPermanence() {
        for (FailureKind kind : FailureKind.values()) {
            assertThat(kind.enhancedStatus().isPermanent())
                .as(kind.name())
                .isEqualTo(kind.outcomeStatus() == RecipientOutcome.Status.PERMANENT);
            // a permanent failure is about the message: no other server would take it
            if (kind.outcomeStatus() == RecipientOutcome.Status.PERMANENT) {
                assertThat(kind.tryNextHost()).as(kind.name()).isFalse();
            }
        }
    }

    @Test
    void stagesKeepTheirStoredNames() {
        assertThat(AttemptStage.END_OF_DATA.wireName()).isEqualTo("end-of-data");
        assertThat(AttemptStage.QUEUE.wireName()).isEqualTo("queue");
        for (AttemptStage stage : AttemptStage.values()) {
            assertThat(AttemptStage.fromWireName(stage.wireName())).isEqualTo(stage);
        }
    }
}
