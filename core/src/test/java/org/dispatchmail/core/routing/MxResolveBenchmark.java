package org.dispatchmail.core.routing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What one MX resolution costs once its answers are known (the case of every message after a domain's first):
 * wall-clock and CPU microseconds per {@link MxResolver#resolve} on one thread, against a local dnsmasq whose
 * records have a TTL of 300 s. Not a test: a figure for the benchmarks document, printed beside nothing else, so
 * compare runs of two versions made one after the other on the same machine.
 *
 * <p>Domains: {@code dual.test}, one MX host with an A and an AAAA record; {@code sink.test}, three MX hosts with an A
 * record each and no AAAA (a negative answer that dnsmasq gives without an SOA, so no cache keeps it).
 */
public final class MxResolveBenchmark {

    private MxResolveBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        try (DnsmasqServer dns = DnsmasqServer.start(List.of(
                "--mx-host=sink.test,mx.sink.test,10",
                "--mx-host=sink.test,mx2.sink.test,20",
                "--mx-host=sink.test,mx3.sink.test,20",
                "--host-record=mx.sink.test,127.0.0.25",
                "--host-record=mx2.sink.test,127.0.0.26",
                "--host-record=mx3.sink.test,127.0.0.27",
                "--mx-host=dual.test,mx.dual.test,10",
                "--host-record=mx.dual.test,127.0.0.28,::1"))) {
            MxResolver resolver = new MxResolver(List.of(dns.address()), Duration.ofSeconds(5));
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            for (String domain : List.of("dual.test", "sink.test")) {
                measure(resolver, domain, count, threads); // warm-up: the JIT, and the first answers
                for (int round = 0; round < 3; round++) {
                    long[] cost = measure(resolver, domain, count, threads);
                    System.out.printf(Locale.ROOT, "RESULT resolve %s round %d: %.1f us wall, %.1f us CPU per resolution%n",
                            domain, round + 1, cost[0] / 1000.0 / count, cost[1] / 1000.0 / count);
                }
            }
        }
    }

    private static long[] measure(MxResolver resolver, String domain, int count, ThreadMXBean threads) {
        long cpu = threads.getCurrentThreadCpuTime();
        long wall = System.nanoTime();
        for (int i = 0; i < count; i++) {
            MxResolution resolution = resolver.resolve(domain);
            if (resolution.kind() != MxResolution.Kind.HOSTS) {
                throw new IllegalStateException(domain + ": " + resolution);
            }
        }
        return new long[] {System.nanoTime() - wall, threads.getCurrentThreadCpuTime() - cpu};
    }
}
