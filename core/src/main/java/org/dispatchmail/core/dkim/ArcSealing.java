package org.dispatchmail.core.dkim;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

import org.dispatchmail.core.dkim.ArcSealResult;
import org.dispatchmail.core.dkim.ArcSealer;
import org.dispatchmail.core.dkim.DkimAlgorithm;
import org.dispatchmail.core.dkim.DkimResult;
import org.dispatchmail.core.dkim.DkimVerifier;
import org.dispatchmail.core.dkim.KeyRecordLookup;
import org.dispatchmail.core.dkim.SigningKey;

/**
 * ARC for mail that came in from outside and leaves again (forwards): verifies the DKIM signatures the message
 * carries as it is now, before anything changes it, and seals it (RFC 8617) with the sealing domain's active
 * rsa-sha256 key, the one algorithm RFC 8617 requires verifiers to support. Only DKIM results are recorded: SPF is
 * not checked here, so the ARC-Authentication-Results claims nothing about it.
 */
public final class ArcSealing {
    private final String domain;
    private final DkimKeys keys;
    private final DkimVerifier verifier;
    private final ArcSealer sealer;
    private final String authservId;

    /** Seals for {@code domain}; {@code authservId} is this node's host name, the one it says in HELO. */
    public ArcSealing(String domain, DkimKeys keys, KeyRecordLookup dns, String authservId, Clock clock) {
        this.domain = DkimKeys.normalizeDomain(domain);
        this.keys = Objects.requireNonNull(keys, "keys");
        this.verifier = new DkimVerifier(dns, clock);
        this.sealer = new ArcSealer(dns, clock);
        this.authservId = Objects.requireNonNull(authservId, "authservId");
    }

    public String domain() {
        return domain;
    }

    /** Verifies and seals the message; says what it did, and why not when it did not seal. */
    public Outcome seal(byte[] message) {
        Optional<SigningKey> key = keys.signingKeys(domain).stream()
            .filter(k -> k.key().algorithm() == DkimAlgorithm.RSA_SHA256)
            .findFirst();
        if (key.isEmpty()) {
            return new Outcome(Optional.empty(), List.of(), "arc.domain " + domain + " has no active rsa-sha256 DKIM key");
        }
        List<DkimResult> results = verifier.verify(message);
        try {
            ArcSealResult sealed = sealer.seal(message, results, key.get(), authservId);
            return new Outcome(Optional.of(sealed), results, sealed.reason());
        } catch (IllegalArgumentException e) {
            return new Outcome(Optional.empty(), results, e.getMessage());
        }
    }

    /** What sealing one message did. */
    public static final class Outcome {
        private final Optional<ArcSealResult> result;
        private final List<DkimResult> dkimResults;
        private final String reason;

        Outcome(Optional<ArcSealResult> result, List<DkimResult> dkimResults, String reason) {
            this.result = result;
            this.dkimResults = List.copyOf(dkimResults);
            this.reason = reason;
        }

        public boolean isSealed() {
            return result.map(ArcSealResult::isSealed).orElse(false);
        }

        /** The header fields to prepend, in order; empty when not sealed. */
        public List<String> fields() {
            return result.map(ArcSealResult::fields).orElse(List.of());
        }

        /** The DKIM results seen on the message, one per signature. */
        public List<DkimResult> dkimResults() {
            return dkimResults;
        }

        /** One line for the log: "i=1 cv=none dkim=pass header.d=..." or why the message was not sealed. */
        public String summary() {
            String dkim = dkimResults.isEmpty() ? "dkim=none"
                : dkimResults.stream().map(DkimResult::authenticationResult).collect(Collectors.joining(", "));
            if (isSealed()) {
                ArcSealResult sealed = result.get();
                return "i=" + sealed.instance() + " cv=" + sealed.chain().status().token() + " " + dkim;
            }
            return "not sealed: " + reason + (result.isPresent() ? " (" + result.get().chain() + ")" : "");
        }
    }
}
