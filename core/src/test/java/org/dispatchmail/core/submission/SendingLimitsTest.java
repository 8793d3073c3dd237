package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class SendingLimitsTest {
    private final MovableClock clock = new MovableClock(Instant.parse("2026-11-29T10:59:00Z"));
    private final MemoryUsage usage = new MemoryUsage();

    @Test
    void messagesAreCountedOverTheLastHourPerLogin() {
        SendingLimits limits = new SendingLimits(usage, 2, 0, clock);
        limits.recordAccepted("alice@example.com", 1);
        clock.advance(Duration.ofMinutes(2));
        limits.recordAccepted("alice@example.com", 1);

        assertThat(limits.refuseMessage("alice@example.com", limits.usageOf("alice@example.com"))).hasValueSatisfying(reason ->
            assertThat(reason).isEqualTo("login alice@example.com reached its limit of 2 messages per hour; try again later"));
        assertThat(limits.refuseMessage("bob@example.com", limits.usageOf("bob@example.com"))).isEmpty();

        clock.advance(Duration.ofMinutes(59));
        assertThat(limits.refuseMessage("alice@example.com", limits.usageOf("alice@example.com"))).as("the first message left the window").isEmpty();
    }

    @Test
    void recipientsCountThoseOfThisTransactionToo() {
        SendingLimits limits = new SendingLimits(usage, 0, 5, clock);
        limits.recordAccepted("alice@example.com", 3);

        assertThat(limits.refuseRecipient("alice@example.com", limits.usageOf("alice@example.com"), 1)).isEmpty();
        assertThat(limits.refuseRecipient("alice@example.com", limits.usageOf("alice@example.com"), 2)).isPresent();
    }

    @Test
    void oneReadOfTheLastHourServesAWholeTransaction() {
        SendingLimits limits = new SendingLimits(usage, 10, 5, clock);
        limits.recordAccepted("alice@example.com", 3);
        int before = usage.reads;

        SendingLimits.HourlyUsage used = limits.usageOf("alice@example.com");
        assertThat(limits.refuseMessage("alice@example.com", used)).isEmpty();
        assertThat(limits.refuseRecipient("alice@example.com", used, 0)).isEmpty();
        assertThat(limits.refuseRecipient("alice@example.com", used, 1)).isEmpty();
        assertThat(limits.refuseRecipient("alice@example.com", used, 2)).isPresent();

        assertThat(used.messages()).isEqualTo(1);
        assertThat(used.recipients()).isEqualTo(3);
        assertThat(usage.reads - before).isEqualTo(1);
    }

    @Test
    void zeroMeansNoLimit() {
        SendingLimits limits = new SendingLimits(usage, 0, 0, clock);
        for (int i = 0; i < 50; i++) {
            limits.recordAccepted("alice@example.com", 100);
        }
        assertThat(limits.refuseMessage("alice@example.com", limits.usageOf("alice@example.com"))).isEmpty();
        assertThat(limits.refuseRecipient("alice@example.com", limits.usageOf("alice@example.com"), 1000)).isEmpty();
        assertThat(usage.rows).as("no usage is written while both limits are off").isEmpty();
        assertThat(usage.reads).as("nor read").isZero();
    }

    private static final class MemoryUsage implements UsageStore {
        private final List<Object[]> rows = new ArrayList<>();
        private int reads;

        @Override
        public void record(String login, Instant at, int recipients) {
            rows.add(new Object[] {login, at, recipients});
        }

        @Override
        public List<Integer> between(String login, Instant from, Instant to) {
            reads++;
            return rows.stream().filter(r -> r[0].equals(login) && !((Instant) r[1]).isBefore(from)
                && !((Instant) r[1]).isAfter(to)).map(r -> (Integer) r[2]).collect(Collectors.toList());
        }
    }
}
