package org.dispatchmail.core.mtasts;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code _mta-sts.<domain>} TXT record (RFC 8461 §3.1): it says a policy exists and names its version by
 * {@code id}, so a sender refetches the policy only when the id changes.
 */
public final class MtaStsRecord {
    private static final Pattern VERSION_FIRST = Pattern.compile("v=STSv1[ \t]*(;.*)?", Pattern.DOTALL);
    private static final Pattern FIELD = Pattern.compile("([A-Za-z0-9][A-Za-z0-9_.-]{0,31})[ \t]*=[ \t]*(.*)",
            Pattern.DOTALL);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");
    private static final Pattern EXTENSION_VALUE = Pattern.compile("[\\x21-\\x3A\\x3C\\x3E-\\x7E]+");

    private final String id;

    private MtaStsRecord(String id) {
        this.id = id;
    }

    /** The policy's version: 1 to 32 letters and digits. */
    public String id() {
        return id;
    }

    /** What the TXT records of {@code _mta-sts.<domain>} say. */
    public static final class Lookup {
        /** Why there is, or is not, a usable record. */
        public enum Kind {
            /** Exactly one record starting with {@code v=STSv1}, valid. */
            FOUND,
            /** No record starting with {@code v=STSv1}: the domain has no MTA-STS policy. */
            NO_RECORD,
            /** More than one such record: treated as no policy (§3.1). */
            MULTIPLE_RECORDS,
            /** One such record, but malformed: treated as no policy (§3.1). */
            INVALID,
            /** DNS gave no answer (timeout, SERVFAIL): nothing is known, which is not the same as no record. */
            DNS_FAILED
        }

        private final Kind kind;
        private final MtaStsRecord record;
        private final String detail;

        private Lookup(Kind kind, MtaStsRecord record, String detail) {
            this.kind = kind;
            this.record = record;
            this.detail = detail;
        }

        public Kind kind() {
            return kind;
        }

        public Optional<MtaStsRecord> record() {
            return Optional.ofNullable(record);
        }

        /** For logs: the id found, or what was wrong. */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return kind + ": " + detail;
        }
    }

    /**
     * Looks up {@code _mta-sts.<policyDomain>}. {@code txtRecords} gives a name's TXT records, each record's strings
     * joined, or empty when DNS did not answer (as the DKIM lookups' {@code DnsTxtLookup.records} does).
     */
    public static Lookup lookUp(String policyDomain, Function<String, Optional<List<String>>> txtRecords) {
        String name = "_mta-sts." + policyDomain;
        Optional<List<String>> answer = txtRecords.apply(name);
        if (answer.isEmpty()) {
            return new Lookup(Lookup.Kind.DNS_FAILED, null, "no answer from DNS for " + name + " TXT");
        }
        return fromTxt(answer.get());
    }

    /**
     * Reads the TXT records of {@code _mta-sts.<domain>}, each given as its strings joined. Records that do not
     * start with {@code v=STSv1} are someone else's and are ignored; of the rest there must be exactly one.
     */
    public static Lookup fromTxt(List<String> txtRecords) {
        List<String> candidates = new ArrayList<>();
        for (String txt : txtRecords) {
            if (VERSION_FIRST.matcher(txt).matches()) {
                candidates.add(txt);
            }
        }
        if (candidates.isEmpty()) {
            return new Lookup(Lookup.Kind.NO_RECORD, null, "no TXT record starting with v=STSv1");
        }
        if (candidates.size() > 1) {
            return new Lookup(Lookup.Kind.MULTIPLE_RECORDS, null,
                    candidates.size() + " TXT records starting with v=STSv1, there must be one");
        }
        return parse(candidates.get(0));
    }

    private static Lookup parse(String txt) {
        String[] fields = txt.split(";", -1);
        String id = null;
        // fields[0] is v=STSv1 (checked by the caller); an empty last field is the optional final ";"
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i].strip();
            if (field.isEmpty() && i == fields.length - 1) {
                break;
            }
            Matcher matcher = FIELD.matcher(field);
            if (!matcher.matches()) {
                return invalid(txt, "'" + field + "' is not name=value");
            }
            String name = matcher.group(1);
            String value = matcher.group(2);
            if (name.equals("id")) {
                if (id != null) {
                    return invalid(txt, "id appears twice");
                }
                if (!ID.matcher(value).matches()) {
                    return invalid(txt, "id '" + value + "' is not 1 to 32 letters and digits");
                }
                id = value;
            } else if (!EXTENSION_VALUE.matcher(value).matches()) {
                return invalid(txt, "the value of " + name + " has characters a record may not hold");
            }
        }
        if (id == null) {
            return invalid(txt, "no id");
        }
        return new Lookup(Lookup.Kind.FOUND, new MtaStsRecord(id), "id=" + id);
    }

    private static Lookup invalid(String txt, String problem) {
        return new Lookup(Lookup.Kind.INVALID, null, "invalid record '" + txt + "': " + problem);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MtaStsRecord && ((MtaStsRecord) o).id.equals(id);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id);
    }

    @Override
    public String toString() {
        return "v=STSv1; id=" + id;
    }
}
