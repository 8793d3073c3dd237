package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;

/** Validates the ARC chain of a message as RFC 8617 §5.2 says, with the keys DNS publishes. Thread-safe. */
public final class ArcValidator {

    private final SignatureCheck check;

    public ArcValidator(KeyRecordLookup dns, Clock clock) {
        this(new SignatureCheck(dns, clock));
    }

    ArcValidator(SignatureCheck check) {
        this.check = check;
    }

    /** Validates the ARC sets of RFC 5322 bytes (a bare LF counts as CRLF). */
    public ArcValidation validate(byte[] message) {
        byte[] wire = LineEndings.toCrlf(message);
        MessageParts parts = MessageParts.split(wire);
        return validate(wire, parts, ArcChain.read(parts));
    }

    ArcValidation validate(byte[] wire, MessageParts parts, ArcChain chain) {
        int highest = chain.highestInstance();
        if (chain.isEmpty()) {
            return new ArcValidation(ArcChainStatus.NONE, 0, false, "");
        }
        boolean full = highest >= ArcChain.MAX_INSTANCE;
        if (chain.problem().isPresent()) {
            return new ArcValidation(ArcChainStatus.FAIL, highest, full, chain.problem().get());
        }
        List<ArcChain.ArcSet> sets = chain.sets();
        ArcChain.ArcSet latest = sets.get(sets.size() - 1);
        if ("fail".equalsIgnoreCase(latest.sealTags.get("cv"))) {
            return new ArcValidation(ArcChainStatus.FAIL, highest, true, "ARC-Seal i=" + highest + " already says cv=fail");
        }
        // step 4: the latest message signature must verify; older ones may have been broken by later changes
        DkimResult latestSignature = check.messageSignature(wire, parts, latest.messageSignature,
                SignatureCheck.Kind.ARC_MESSAGE_SIGNATURE);
        if (!latestSignature.passed()) {
            return new ArcValidation(ArcChainStatus.FAIL, highest, full, "ARC-Message-Signature i=" + highest + ": "
                    + latestSignature.status().token() + " " + latestSignature.reason());
        }
        for (int i = sets.size() - 1; i >= 0; i--) {
            ArcChain.ArcSet set = sets.get(i);
            String cv = set.sealTags.getOrDefault("cv", "");
            String expected = set.instance == 1 ? "none" : "pass";
            if (!cv.equalsIgnoreCase(expected)) {
                return new ArcValidation(ArcChainStatus.FAIL, highest, full, "ARC-Seal i=" + set.instance + " has cv="
                        + cv + " where " + expected + " belongs");
            }
            DkimResult seal = check.signature(set.sealTags, sealedData(sets.subList(0, i), set));
            if (!seal.passed()) {
                return new ArcValidation(ArcChainStatus.FAIL, highest, full, "ARC-Seal i=" + set.instance + ": "
                        + seal.status().token() + " " + seal.reason());
            }
        }
        return new ArcValidation(ArcChainStatus.PASS, highest, full, "");
    }

    /**
     * What an ARC-Seal signs (RFC 8617 §5.1.1): the earlier sets, each as AAR, AMS, AS, then its own set with its own
     * seal's b= emptied, every field relaxed and followed by CRLF except that last one.
     */
    static byte[] sealedData(List<ArcChain.ArcSet> earlier, ArcChain.ArcSet own) {
        StringBuilder data = new StringBuilder();
        for (ArcChain.ArcSet set : earlier) {
            appendSet(data, set.results.text(), set.messageSignature.text(), set.seal.text());
            data.append("\r\n");
        }
        appendSet(data, own.results.text(), own.messageSignature.text(), SignatureCheck.withEmptySignature(own.seal.text()));
        return data.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The three fields of one set, relaxed, with CRLF between them and none after. */
    static void appendSet(StringBuilder data, String results, String messageSignature, String seal) {
        data.append(RelaxedCanonicalization.header(results)).append("\r\n")
                .append(RelaxedCanonicalization.header(messageSignature)).append("\r\n")
                .append(RelaxedCanonicalization.header(seal));
    }
}
