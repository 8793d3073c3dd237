package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;

class DeadHostsTest {

    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.2", 25);
    private static final InetSocketAddress A_OTHER_PORT = new InetSocketAddress("127.0.0.2", 587);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.3", 25);

    private final MovableClock clock = new MovableClock(Instant.parse("2026-01-01T00:00:00Z"));

    @Test
    void aDeadAddressIsSkippedUntilItsTimeIsOver() {
        DeadHosts dead = new DeadHosts(Duration.ofMinutes(5), 100, clock);

        dead.markDead(A, "refused");
        clock.advance(Duration.ofMinutes(4).plusSeconds(59));

        assertThat(dead.find(A)).hasValueSatisfying(entry -> {
            assertThat(entry.error()).isEqualTo("refused");
            assertThat(entry.since()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
            assertThat(entry.server()).isEqualTo(A);
        });
        assertThat(dead.find(A_OTHER_PORT)).isEmpty();
        assertThat(dead.find(B)).isEmpty();

        clock.advance(Duration.ofSeconds(1));

        assertThat(dead.find(A)).isEmpty();
        assertThat(dead.size()).isZero();
    }

    @Test
    void anAddressThatAnswersIsForgotten() {
        DeadHosts dead = new DeadHosts(Duration.ofMinutes(5), 100, clock);
        dead.markDead(A, "refused");

        dead.markAlive(A);

        assertThat(dead.find(A)).isEmpty();
    }

    @Test
    void markingAgainRestartsTheDeadTime() {
        DeadHosts dead = new DeadHosts(Duration.ofMinutes(5), 100, clock);
        dead.markDead(A, "refused");
        clock.advance(Duration.ofMinutes(4));
        dead.markDead(A, "timed out");
        clock.advance(Duration.ofMinutes(4));

        assertThat(dead.find(A)).hasValueSatisfying(entry -> assertThat(entry.error()).isEqualTo("timed out"));
    }

    @Test
    void theOldestEntryGoesWhenFull() {
        DeadHosts dead = new DeadHosts(Duration.ofMinutes(5), 2, clock);
        dead.markDead(A, "first");
        dead.markDead(B, "second");
        dead.markDead(A, "first, again"); // refreshed: now B is the oldest

        dead.markDead(A_OTHER_PORT, "third");

        assertThat(dead.size()).isEqualTo(2);
        assertThat(dead.find(B)).isEmpty();
        assertThat(dead.find(A)).isPresent();
        assertThat(dead.find(A_OTHER_PORT)).isPresent();
    }

    @Test
    void zeroDeadTimeTurnsItOff() {
        DeadHosts dead = new DeadHosts(Duration.ZERO, 100, clock);

        dead.markDead(A, "refused");

        assertThat(dead.find(A)).isEmpty();
        assertThat(dead.size()).isZero();
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new DeadHosts(Duration.ofSeconds(-1), 10, clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeadHosts(Duration.ofSeconds(1), 0, clock))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
