package org.dispatchmail.core.dkim;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Verifies the DKIM signatures of an incoming message (RFC 6376 §6): rsa-sha256 and ed25519-sha256, simple and relaxed
 * canonicalization, l= honoured, keys from DNS TXT at selector._domainkey.domain. Thread-safe.
 */
public final class DkimVerifier {

    private final SignatureCheck check;

    public DkimVerifier(KeyRecordLookup dns, Clock clock) {
        this.check = new SignatureCheck(dns, clock);
    }

    /**
     * One result per DKIM-Signature field, in header order (top first); an empty list for an unsigned message. The
     * message is RFC 5322 bytes; a bare LF counts as CRLF.
     */
    public List<DkimResult> verify(byte[] message) {
        byte[] wire = LineEndings.toCrlf(message);
        MessageParts parts = MessageParts.split(wire);
        List<DkimResult> results = new ArrayList<>();
        for (HeaderField field : parts.headers()) {
            if (field.hasName(DkimSigner.FIELD_NAME)) {
                results.add(check.messageSignature(wire, parts, field, SignatureCheck.Kind.DKIM_SIGNATURE));
            }
        }
        return results;
    }
}
