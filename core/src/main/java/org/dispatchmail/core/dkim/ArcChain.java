package org.dispatchmail.core.dkim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ARC sets of a message (RFC 8617 §4.2), read from its header fields: each instance with its three fields, or
 * why the sets do not form a chain (a field without a readable i=, an instance missing a field or holding two, a gap
 * in the instances, more than {@value #MAX_INSTANCE} sets).
 */
final class ArcChain {

    static final String AAR = "ARC-Authentication-Results";
    static final String AMS = "ARC-Message-Signature";
    static final String SEAL = "ARC-Seal";
    /** RFC 8617 §4.2.1: i= runs from 1 to 50. */
    static final int MAX_INSTANCE = 50;

    private static final Pattern AAR_INSTANCE = Pattern.compile("^[ \\t\\r\\n]*i[ \\t]*=[ \\t]*([0-9]{1,5})[ \\t\\r\\n]*;");

    /** One instance's three fields. */
    static final class ArcSet {
        final int instance;
        final HeaderField results;
        final HeaderField messageSignature;
        final HeaderField seal;
        final Map<String, String> sealTags;

        ArcSet(int instance, HeaderField results, HeaderField messageSignature, HeaderField seal,
                Map<String, String> sealTags) {
            this.instance = instance;
            this.results = results;
            this.messageSignature = messageSignature;
            this.seal = seal;
            this.sealTags = sealTags;
        }
    }

    private final List<ArcSet> sets;
    private final int highestInstance;
    private final String problem;

    private ArcChain(List<ArcSet> sets, int highestInstance, String problem) {
        this.sets = Collections.unmodifiableList(sets);
        this.highestInstance = highestInstance;
        this.problem = problem;
    }

    static ArcChain read(MessageParts parts) {
        TreeMap<Integer, HeaderField[]> byInstance = new TreeMap<>();
        Map<Integer, Map<String, String>> sealTags = new TreeMap<>();
        String problem = null;
        for (HeaderField field : parts.headers()) {
            int kind = field.hasName(AAR) ? 0 : field.hasName(AMS) ? 1 : field.hasName(SEAL) ? 2 : -1;
            if (kind < 0) {
                continue;
            }
            Optional<Integer> instance;
            Map<String, String> tags = null;
            if (kind == 0) {
                Matcher m = AAR_INSTANCE.matcher(SignatureCheck.value(field));
                instance = m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
            } else {
                tags = TagList.parse(SignatureCheck.value(field)).orElse(null);
                instance = tags == null ? Optional.empty() : instance(tags.get("i"));
            }
            if (instance.isEmpty()) {
                problem = first(problem, field.name() + " without a valid i= tag");
                continue;
            }
            HeaderField[] set = byInstance.computeIfAbsent(instance.get(), i -> new HeaderField[3]);
            if (set[kind] != null) {
                problem = first(problem, "two " + field.name() + " fields with i=" + instance.get());
            }
            set[kind] = field;
            if (kind == 2) {
                sealTags.put(instance.get(), tags);
            }
        }
        int highest = byInstance.isEmpty() ? 0 : byInstance.lastKey();
        List<ArcSet> sets = new ArrayList<>();
        int expected = 1;
        for (Map.Entry<Integer, HeaderField[]> entry : byInstance.entrySet()) {
            int instance = entry.getKey();
            HeaderField[] set = entry.getValue();
            if (instance < 1 || instance > MAX_INSTANCE) {
                problem = first(problem, "i=" + instance + " is outside 1.." + MAX_INSTANCE);
            } else if (instance != expected) {
                problem = first(problem, "the chain has no ARC set i=" + expected);
            } else if (set[0] == null || set[1] == null || set[2] == null) {
                problem = first(problem, "the ARC set i=" + instance + " lacks a field");
            } else {
                sets.add(new ArcSet(instance, set[0], set[1], set[2], sealTags.get(instance)));
            }
            expected = instance + 1;
        }
        return new ArcChain(sets, highest, problem);
    }

    /** The sets in instance order, from 1; complete only when {@link #problem()} is empty. */
    List<ArcSet> sets() {
        return sets;
    }

    /** The highest i= found, 0 when the message has no ARC field. */
    int highestInstance() {
        return highestInstance;
    }

    boolean isEmpty() {
        return highestInstance == 0 && problem == null;
    }

    /** Why the sets do not form a chain, if they do not. */
    Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    private static Optional<Integer> instance(String value) {
        if (value == null || !value.matches("[0-9]{1,5}")) {
            return Optional.empty();
        }
        return Optional.of(Integer.parseInt(value));
    }

    private static String first(String existing, String problem) {
        return existing != null ? existing : problem;
    }
}
