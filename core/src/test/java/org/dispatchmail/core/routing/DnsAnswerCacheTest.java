package org.dispatchmail.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.dispatchmail.core.MovableClock;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

class DnsAnswerCacheTest {

    private static final Duration HOUR = Duration.ofHours(1);

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-07T12:00:00Z"));

    @Test
    void recordsAreKeptForTheirSmallestTtlAtMostTheCap() throws Exception {
        DnsAnswer answer = DnsAnswer.records(List.of(a("mx.example.com.", 300, "192.0.2.1"),
                a("mx.example.com.", 120, "192.0.2.2")));

        assertThat(DnsAnswerCache.lifetime(answer, HOUR)).isEqualTo(Duration.ofSeconds(120));
        assertThat(DnsAnswerCache.lifetime(answer, Duration.ofSeconds(60))).isEqualTo(Duration.ofSeconds(60));
        assertThat(DnsAnswerCache.lifetime(DnsAnswer.records(List.of(a("mx.example.com.", 0, "192.0.2.1"))), HOUR))
                .as("TTL 0: not to be kept").isZero();
    }

    @Test
    void negativeAnswersAndFailuresAreNotKept() {
        assertThat(DnsAnswerCache.lifetime(DnsAnswer.noData(), HOUR)).isZero();
        assertThat(DnsAnswerCache.lifetime(DnsAnswer.noSuchDomain(), HOUR)).isZero();
        assertThat(DnsAnswerCache.lifetime(DnsAnswer.failed("server failure (SERVFAIL)"), HOUR)).isZero();

        DnsAnswerCache cache = new DnsAnswerCache(new DnsCacheSettings(10, HOUR), clock);
        cache.put(name("example.com."), Type.MX, DnsAnswer.failed("timeout"));
        cache.put(name("gone.example."), Type.MX, DnsAnswer.noSuchDomain());

        assertThat(cache.get(name("example.com."), Type.MX)).isEmpty();
        assertThat(cache.get(name("gone.example."), Type.MX)).isEmpty();
        assertThat(cache.size()).isZero();
    }

    @Test
    void anAnswerIsServedUntilItsTtlEndsThenAskedForAgain() throws Exception {
        DnsAnswerCache cache = new DnsAnswerCache(new DnsCacheSettings(10, HOUR), clock);
        DnsAnswer answer = DnsAnswer.records(List.of(a("mx.example.com.", 300, "192.0.2.1")));
        cache.put(name("mx.example.com."), Type.A, answer);

        clock.advance(Duration.ofSeconds(299));
        assertThat(cache.get(name("MX.Example.COM."), Type.A)).as("names compare without case").containsSame(answer);
        assertThat(cache.get(name("mx.example.com."), Type.AAAA)).as("another type").isEmpty();

        clock.advance(Duration.ofSeconds(1));
        assertThat(cache.get(name("mx.example.com."), Type.A)).isEmpty();
        assertThat(cache.size()).as("an expired answer is dropped when found").isZero();
    }

    @Test
    void theCapShortensALongTtl() throws Exception {
        DnsAnswerCache cache = new DnsAnswerCache(new DnsCacheSettings(10, Duration.ofMinutes(5)), clock);
        cache.put(name("mx.example.com."), Type.A, DnsAnswer.records(List.of(a("mx.example.com.", 86400, "192.0.2.1"))));

        clock.advance(Duration.ofMinutes(5));

        assertThat(cache.get(name("mx.example.com."), Type.A)).isEmpty();
    }

    @Test
    void theLeastRecentlyUsedAnswerGoesFirstWhenTheCacheIsFull() throws Exception {
        DnsAnswerCache cache = new DnsAnswerCache(new DnsCacheSettings(2, HOUR), clock);
        cache.put(name("one.example."), Type.A, DnsAnswer.records(List.of(a("one.example.", 300, "192.0.2.1"))));
        cache.put(name("two.example."), Type.A, DnsAnswer.records(List.of(a("two.example.", 300, "192.0.2.2"))));
        assertThat(cache.get(name("one.example."), Type.A)).isPresent(); // one is now the more recently used

        cache.put(name("three.example."), Type.A, DnsAnswer.records(List.of(a("three.example.", 300, "192.0.2.3"))));

        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get(name("two.example."), Type.A)).isEmpty();
        assertThat(cache.get(name("one.example."), Type.A)).isPresent();
        assertThat(cache.get(name("three.example."), Type.A)).isPresent();
    }

    @Test
    void sizeZeroOrCapZeroKeepsNothing() throws Exception {
        DnsAnswer answer = DnsAnswer.records(List.of(a("mx.example.com.", 300, "192.0.2.1")));
        DnsAnswerCache noRoom = new DnsAnswerCache(new DnsCacheSettings(0, HOUR), clock);
        DnsAnswerCache noTime = new DnsAnswerCache(new DnsCacheSettings(10, Duration.ZERO), clock);

        noRoom.put(name("mx.example.com."), Type.A, answer);
        noTime.put(name("mx.example.com."), Type.A, answer);

        assertThat(noRoom.get(name("mx.example.com."), Type.A)).isEmpty();
        assertThat(noTime.get(name("mx.example.com."), Type.A)).isEmpty();
    }

    private static Name name(String text) {
        return Name.fromConstantString(text);
    }

    private static ARecord a(String owner, long ttl, String address) throws Exception {
        return new ARecord(name(owner), DClass.IN, ttl, InetAddress.getByName(address));
    }
}
