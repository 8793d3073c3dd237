package org.dispatchmail.core.routing;

import java.util.List;

/** The outcome of one DNS query, as a value: records, an authoritative "nothing", or a failure. */
final class DnsAnswer {

    enum Kind {
        /** At least one record of the asked type. */
        RECORDS,
        /** The name exists but has no record of the asked type (NOERROR/NODATA). */
        NO_DATA,
        /** The name does not exist. */
        NO_SUCH_DOMAIN,
        /** No trustworthy answer: SERVFAIL, REFUSED, timeout, network error. */
        FAILED
    }

    private final Kind kind;
    private final List<org.xbill.DNS.Record> records;
    private final String problem;

    private DnsAnswer(Kind kind, List<org.xbill.DNS.Record> records, String problem) {
        this.kind = kind;
        this.records = records;
        this.problem = problem;
    }

    static DnsAnswer records(List<org.xbill.DNS.Record> records) {
        return records.isEmpty() ? noData() : new DnsAnswer(Kind.RECORDS, List.copyOf(records), null);
    }

    static DnsAnswer noData() {
        return new DnsAnswer(Kind.NO_DATA, List.of(), "no records of that type");
    }

    static DnsAnswer noSuchDomain() {
        return new DnsAnswer(Kind.NO_SUCH_DOMAIN, List.of(), "no such domain (NXDOMAIN)");
    }

    static DnsAnswer failed(String problem) {
        return new DnsAnswer(Kind.FAILED, List.of(), problem);
    }

    Kind kind() {
        return kind;
    }

    List<org.xbill.DNS.Record> records() {
        return records;
    }

    /** Why there are no records; null when there are. */
    String problem() {
        return problem;
    }
}
