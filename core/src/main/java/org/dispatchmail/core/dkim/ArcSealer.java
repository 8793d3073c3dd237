package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Adds the next ARC set to a message (RFC 8617 §5.1): validates the chain it came with, then writes an
 * ARC-Authentication-Results with the results given, an ARC-Message-Signature (a DKIM signature without v=, relaxed,
 * with i=) and an ARC-Seal over the chain with cv= the validation's outcome. A chain whose latest seal says cv=fail,
 * or that already has 50 sets, is left as it is. Thread-safe.
 */
public final class ArcSealer {

    private final ArcValidator validator;
    private final Clock clock;

    public ArcSealer(KeyRecordLookup dns, Clock clock) {
        this.validator = new ArcValidator(new SignatureCheck(dns, clock));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Seals RFC 5322 bytes (a bare LF counts as CRLF) for {@code key}'s domain. {@code results} are recorded in the
     * ARC-Authentication-Results under {@code authservId} (the host name of this node), with the "arc" result of
     * the incoming chain when there was one.
     *
     * @throws IllegalArgumentException when the message has no From: field or the authserv-id is not a single token
     */
    public ArcSealResult seal(byte[] message, List<DkimResult> results, SigningKey key, String authservId) {
        Objects.requireNonNull(results, "results");
        Objects.requireNonNull(key, "key");
        checkAuthservId(authservId);
        byte[] wire = LineEndings.toCrlf(message);
        MessageParts parts = MessageParts.split(wire);
        if (parts.count("From") == 0) {
            throw new IllegalArgumentException("the message has no From: header field, which ARC must sign");
        }
        ArcChain chain = ArcChain.read(parts);
        ArcValidation validation = validator.validate(wire, parts, chain);
        if (validation.ended()) {
            return ArcSealResult.notSealed(validation, validation.highestInstance() >= ArcChain.MAX_INSTANCE
                    ? "the chain already has " + ArcChain.MAX_INSTANCE + " sets"
                    : "the chain already ended with cv=fail; RFC 8617 forbids adding to it");
        }
        int instance = validation.highestInstance() + 1;
        long timestamp = clock.instant().getEpochSecond();

        String resultsField = authenticationResults(instance, authservId, results, validation);
        String messageSignature = messageSignature(wire, parts, instance, key, timestamp);

        StringBuilder sealed = new StringBuilder();
        if (validation.status() != ArcChainStatus.FAIL) {
            for (ArcChain.ArcSet set : chain.sets()) {
                ArcValidator.appendSet(sealed, set.results.text(), set.messageSignature.text(), set.seal.text());
                sealed.append("\r\n");
            }
        }
        // RFC 8617 §5.1.2: a seal with cv=fail covers only its own set, as if it were the first
        sealed.append(RelaxedCanonicalization.header(withoutCrlf(resultsField))).append("\r\n")
                .append(RelaxedCanonicalization.header(withoutCrlf(messageSignature))).append("\r\n");
        FoldingWriter seal = new FoldingWriter(ArcChain.SEAL);
        seal.word("i=" + instance + ";");
        seal.word("a=" + key.key().algorithm().tag() + ";");
        seal.word("t=" + timestamp + ";");
        seal.word("cv=" + validation.status().token() + ";");
        seal.word("d=" + key.domain() + ";");
        seal.word("s=" + key.selector() + ";");
        String sealField = DkimSigner.signedField(seal, sealed.toString().getBytes(StandardCharsets.ISO_8859_1), key);

        List<String> fields = new ArrayList<>(3);
        fields.add(sealField);
        fields.add(messageSignature);
        fields.add(resultsField);
        return ArcSealResult.sealed(fields, instance, validation);
    }

    private static String authenticationResults(int instance, String authservId, List<DkimResult> results,
            ArcValidation chain) {
        List<String> resinfos = new ArrayList<>();
        if (results.isEmpty()) {
            resinfos.add("dkim=none");
        }
        for (DkimResult result : results) {
            resinfos.add(result.authenticationResult());
        }
        if (chain.status() != ArcChainStatus.NONE) {
            resinfos.add("arc=" + chain.status().token());
        }
        FoldingWriter writer = new FoldingWriter(ArcChain.AAR);
        writer.word("i=" + instance + ";");
        writer.word(authservId + ";");
        for (int r = 0; r < resinfos.size(); r++) {
            String[] words = resinfos.get(r).split(" ");
            for (int w = 0; w < words.length; w++) {
                boolean endOfResinfo = w == words.length - 1 && r < resinfos.size() - 1;
                writer.word(words[w] + (endOfResinfo ? ";" : ""));
            }
        }
        return writer.text() + "\r\n";
    }

    private static String messageSignature(byte[] wire, MessageParts parts, int instance, SigningKey key, long timestamp) {
        List<String> names = HeaderSelection.overSigned(parts, DkimSigner.SIGNED_HEADERS);
        // the DKIM signatures the message came with are part of what this hop vouches for; not over-signed, as a
        // later hop may add its own
        for (int i = 0; i < parts.count(DkimSigner.FIELD_NAME); i++) {
            names.add("dkim-signature");
        }
        byte[] signedHeaders = DkimSigner.canonicalHeaders(HeaderSelection.select(parts.headers(), names));
        FoldingWriter writer = new FoldingWriter(ArcChain.AMS);
        writer.word("i=" + instance + ";");
        writer.word("a=" + key.key().algorithm().tag() + ";");
        writer.word("c=relaxed/relaxed;");
        writer.word("d=" + key.domain() + ";");
        writer.word("s=" + key.selector() + ";");
        writer.word("t=" + timestamp + ";");
        DkimSigner.writeHeaderList(writer, names, ":");
        writer.word("bh=" + Base64.getEncoder().encodeToString(RelaxedBodyHash.of(wire, parts.bodyStart())) + ";");
        return DkimSigner.signedField(writer, signedHeaders, key);
    }

    private static void checkAuthservId(String authservId) {
        if (authservId == null || authservId.isEmpty()) {
            throw new IllegalArgumentException("the authserv-id (this node's host name) is missing");
        }
        for (int i = 0; i < authservId.length(); i++) {
            char c = authservId.charAt(i);
            if (c <= ' ' || c >= 0x7f || c == ';' || c == '(' || c == ')' || c == '"' || c == '\\') {
                throw new IllegalArgumentException("the authserv-id '" + authservId + "' is not a host name");
            }
        }
    }

    private static String withoutCrlf(String field) {
        return field.endsWith("\r\n") ? field.substring(0, field.length() - 2) : field;
    }
}
