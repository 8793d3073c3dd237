package org.dispatchmail.core.routing;

import java.net.InetAddress;
import java.util.List;
import java.util.Objects;

/** One server that accepts mail for a domain, with its addresses in the order they should be tried. */
public final class MailHost {

    private final String name;
    private final int preference;
    private final List<InetAddress> addresses;
    private final boolean implicit;

    public MailHost(String name, int preference, List<InetAddress> addresses, boolean implicit) {
        this.name = Objects.requireNonNull(name, "name");
        this.preference = preference;
        this.addresses = List.copyOf(addresses);
        this.implicit = implicit;
    }

    /** The host name without a trailing dot, in A-label form. */
    public String name() {
        return name;
    }

    /** The MX preference; 0 for an implicit MX. */
    public int preference() {
        return preference;
    }

    /** IPv4 addresses first, then IPv6; never empty for a host in a resolution. */
    public List<InetAddress> addresses() {
        return addresses;
    }

    /** True when the domain has no MX records and its own address records stand in (RFC 5321 §5.1). */
    public boolean implicit() {
        return implicit;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name).append(implicit ? " (implicit MX)" : " (MX " + preference + ")");
        s.append(' ');
        for (int i = 0; i < addresses.size(); i++) {
            s.append(i == 0 ? "[" : ", ").append(addresses.get(i).getHostAddress());
        }
        return s.append(']').toString();
    }
}
