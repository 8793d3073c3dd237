package org.dispatchmail.core.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import org.dispatchmail.core.config.ConfigReader;
import org.dispatchmail.core.queue.GreylistMemory.Waiter;
import org.dispatchmail.core.queue.RecipientRecord;
import org.dispatchmail.core.queue.RecipientState;
import org.dispatchmail.core.retry.RetryPolicy;
import org.dispatchmail.core.retry.RetrySettings;
import org.junit.jupiter.api.Test;

/** Which waiters a finished prober releases, and when: decided from the records as read, nothing written. */
class WaiterReleaseTest {
    private static final Instant T0 = Instant.parse("2026-11-29T10:00:30Z");

    // first probe 35 s after the first deferral; a release without a window adds no jitter (maxJitter 0)
    private final RetryPolicy policy = new RetryPolicy(RetrySettings.from(new ConfigReader("dispatch.properties",
        Map.of("retry.jitter", "0%", "retry.greylist.jitter", "0%", "retry.greylist.maxJitter", "0s",
            "retry.greylist.probes", "35s,30s,125s"))), new Random(3));
    private final UUID first = UUID.randomUUID();
    private final UUID second = UUID.randomUUID();

    private static RecipientRecord waiting(UUID message, String recipient, Instant firstGreylisted, Instant due) {
        return RecipientRecord.builder(message, recipient, RecipientState.DEFERRED, due).attempts(1)
            .greylistAttempts(1).firstGreylistedAt(Optional.of(firstGreylisted))
            .lastGreylistedAt(Optional.of(firstGreylisted)).build();
    }

    private static WaiterRelease.Seen seen(RecipientRecord record) {
        return new WaiterRelease.Seen(new Waiter(record.messageId(), record.recipient()), Optional.of(record));
    }

    @Test
    void aTaughtWindowTimesEachWaiterFromItsOwnFirstDeferral() {
        Instant now = T0.plusSeconds(70);
        RecipientRecord carol = waiting(first, "carol@one.test", T0.plusSeconds(10), T0.plusSeconds(1800));
        RecipientRecord dave = waiting(first, "dave@one.test", T0.plusSeconds(10), T0.plusSeconds(1800));
        RecipientRecord erin = waiting(second, "erin@one.test", T0.plusSeconds(20), T0.plusSeconds(1800));

        WaiterRelease release = WaiterRelease.plan(List.of(seen(carol), seen(erin), seen(dave)),
            Optional.of(Duration.ofSeconds(65)), now, policy);

        assertThat(release.messages()).containsExactly(first, second);
        assertThat(release.updates(first)).extracting(update -> update.after().nextAttemptAt())
            .containsExactly(T0.plusSeconds(75), T0.plusSeconds(75));
        assertThat(release.updates(second)).extracting(update -> update.after().nextAttemptAt())
            .containsExactly(T0.plusSeconds(85));
        assertThat(release.updates(second).get(0).seen()).isEqualTo(erin);
    }

    @Test
    void withoutAWindowAWaiterGoesNowButNotBeforeItsOwnFirstProbe() {
        Instant now = T0.plusSeconds(40);
        RecipientRecord early = waiting(first, "carol@one.test", T0, T0.plusSeconds(1800));
        RecipientRecord late = waiting(second, "dave@one.test", T0.plusSeconds(30), T0.plusSeconds(1800));

        WaiterRelease release = WaiterRelease.plan(List.of(seen(early), seen(late)), Optional.empty(), now, policy);

        assertThat(release.updates(first).get(0).after().nextAttemptAt()).isEqualTo(now);
        assertThat(release.updates(second).get(0).after().nextAttemptAt()).isEqualTo(T0.plusSeconds(65));
    }

    @Test
    void onlyRecipientsStillWaitingAreMovedAndNeverLater() {
        Instant now = T0.plusSeconds(70);
        RecipientRecord dueSooner = waiting(first, "carol@one.test", T0, T0.plusSeconds(50));
        RecipientRecord claimed = waiting(first, "dave@one.test", T0, T0.plusSeconds(1800)).toBuilder()
            .claimedBy(Optional.of("node-b")).build();
        RecipientRecord delivered = waiting(first, "erin@one.test", T0, T0.plusSeconds(1800)).toBuilder()
            .state(RecipientState.DELIVERED).build();
        WaiterRelease.Seen gone = new WaiterRelease.Seen(new Waiter(second, "frank@one.test"), Optional.empty());

        WaiterRelease release = WaiterRelease.plan(List.of(seen(dueSooner), seen(claimed), seen(delivered), gone),
            Optional.of(Duration.ofSeconds(65)), now, policy);

        assertThat(release.messages()).as("their waiter rows go all the same").containsExactly(first, second);
        assertThat(release.updates(first)).isEmpty();
        assertThat(release.updates(second)).isEmpty();
    }
}
