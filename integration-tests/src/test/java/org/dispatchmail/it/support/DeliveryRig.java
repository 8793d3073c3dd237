package org.dispatchmail.it.support;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.dispatchmail.core.routing.DnsmasqServer;
import org.dispatchmail.dist.cassandra.EmbeddedCassandra;
import org.dispatchmail.dist.cassandra.FreePorts;

/**
 * The set-up most delivery tests share: remote peers (SMTP sinks, misbehaving servers) on one port, each on its own
 * loopback address; a DNS server whose records point at them; a Dispatch node on the shared Cassandra that resolves
 * through that server and delivers to that port; or several nodes on the same queue (one {@link #node} call each,
 * from parallel threads if need be). {@link #close} stops everything it started, the last started first.
 *
 * <pre>
 * rig = new DeliveryRig(cassandra, KEYSPACE);
 * sink = rig.peer(SmtpSink.start(MX_ADDRESS, rig.remotePort(), "mx.sink.test"));
 * dns = rig.dns(List.of("--mx-host=sink.test,mx.sink.test,10", "--host-record=mx.sink.test," + MX_ADDRESS));
 * node = rig.node(Map.of("queue.pollInterval", "200ms"));
 * </pre>
 */
public final class DeliveryRig implements AutoCloseable {
    private final EmbeddedCassandra cassandra;
    private final String keyspace;
    private final int remotePort;
    private final List<AutoCloseable> started = new ArrayList<>();
    private DnsmasqServer dns;

    /** Picks the port every remote peer listens on (delivery.remotePort); starts nothing yet. */
    public DeliveryRig(EmbeddedCassandra cassandra, String keyspace) {
        this.cassandra = cassandra;
        this.keyspace = keyspace;
        this.remotePort = FreePorts.pick();
    }

    /** The port the node delivers to, on whichever address DNS gives. */
    public int remotePort() {
        return remotePort;
    }

    /** A peer the test started, stopped with the rig. */
    public synchronized <T extends AutoCloseable> T peer(T peer) {
        started.add(peer);
        return peer;
    }

    /** Starts the DNS server with dnsmasq record options ({@code --mx-host=...}, {@code --host-record=...}). */
    public DnsmasqServer dns(List<String> records) throws IOException, InterruptedException {
        if (dns != null) {
            throw new IllegalStateException("the DNS server is started already; use restartDns to change its records");
        }
        dns = peer(DnsmasqServer.start(records));
        return dns;
    }

    /** The DNS server again on the same port (where the node looks), with other records. */
    public synchronized DnsmasqServer restartDns(List<String> records) throws IOException, InterruptedException {
        int port = dns.port();
        int place = started.indexOf(dns);
        dns.close();
        dns = DnsmasqServer.start(port, records);
        started.set(place, dns);
        return dns;
    }

    /**
     * Starts a node on the rig's keyspace, DNS server and remote port, with {@code properties} (the test's own
     * dispatch.properties values, which may replace those four too) on top.
     */
    public DispatchNode node(Map<String, String> properties) throws IOException, InterruptedException {
        return node(properties, DispatchNode.TEST_JAVA_OPTS);
    }

    /** {@link #node(Map)} with the launcher's JVM options given ({@code -Xmx...}), for tests about memory. */
    public DispatchNode node(Map<String, String> properties, String javaOpts) throws IOException, InterruptedException {
        if (dns == null) {
            throw new IllegalStateException("start the DNS server before the node");
        }
        Map<String, String> all = new HashMap<>();
        all.put("cassandra.contactPoints", cassandra.contactPoint());
        all.put("cassandra.keyspace", keyspace);
        all.put("dns.servers", dns.address());
        all.put("delivery.remotePort", String.valueOf(remotePort));
        all.putAll(properties);
        return peer(DispatchNode.start(all, UnaryOperator.identity(), javaOpts));
    }

    @Override
    public synchronized void close() throws Exception {
        Exception first = null;
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        started.clear();
        if (first != null) {
            throw first;
        }
    }
}
