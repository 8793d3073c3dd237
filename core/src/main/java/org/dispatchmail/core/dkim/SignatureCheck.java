package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks signatures that DKIM defines (RFC 6376 §6.1) and that ARC borrows (RFC 8617 §4.1.2, §4.1.3): a
 * DKIM-Signature or ARC-Message-Signature over header fields and body, or any b= over given data with the key that
 * d= and s= name in DNS. Every outcome is a {@link DkimResult}; nothing is thrown for a bad message.
 */
final class SignatureCheck {

    /** The two fields that sign a message the DKIM way. */
    enum Kind {
        /** RFC 6376: v=1, and From must be signed. */
        DKIM_SIGNATURE,
        /** RFC 8617 §4.1.2: no v=, i= is the instance, not an identity. */
        ARC_MESSAGE_SIGNATURE
    }

    private final KeyRecordLookup dns;
    private final Clock clock;

    SignatureCheck(KeyRecordLookup dns, Clock clock) {
        this.dns = Objects.requireNonNull(dns, "dns");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Checks one signature field of a CRLF message against that message's header fields and body. */
    DkimResult messageSignature(byte[] wire, MessageParts parts, HeaderField field, Kind kind) {
        Optional<Map<String, String>> parsed = TagList.parse(value(field));
        if (parsed.isEmpty()) {
            return new DkimResult(DkimResult.Status.PERMERROR, null, null, "the signature is not a valid tag list");
        }
        Map<String, String> tags = parsed.get();
        String domain = lower(tags.get("d"));
        String selector = lower(tags.get("s"));
        List<String> required = kind == Kind.DKIM_SIGNATURE
                ? List.of("v", "a", "b", "bh", "d", "h", "s") : List.of("i", "a", "b", "bh", "d", "h", "s");
        for (String tag : required) {
            if (!tags.containsKey(tag)) {
                return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "the signature has no " + tag + "= tag");
            }
        }
        if (kind == Kind.DKIM_SIGNATURE && !tags.get("v").equals("1")) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "unknown version v=" + tags.get("v"));
        }
        List<String> signedNames = headerNames(tags.get("h"));
        if (kind == Kind.DKIM_SIGNATURE && signedNames.stream().noneMatch("from"::equalsIgnoreCase)) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "the signature does not cover From");
        }
        if (kind == Kind.DKIM_SIGNATURE && tags.containsKey("i") && !identityWithin(tags.get("i"), domain)) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "i= is not within d=");
        }
        String[] canonicalization = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT).split("/", -1);
        String headerCanon = canonicalization[0];
        String bodyCanon = canonicalization.length > 1 ? canonicalization[1] : "simple";
        if (canonicalization.length > 2 || !isKnownCanonicalization(headerCanon) || !isKnownCanonicalization(bodyCanon)) {
            return new DkimResult(DkimResult.Status.NEUTRAL, domain, selector, "unknown canonicalization c=" + tags.get("c"));
        }
        if (!isKnownAlgorithm(tags.get("a"))) {
            // before the body hash, which the algorithm names the hash of (rsa-sha1 is no longer allowed: RFC 8301)
            return new DkimResult(DkimResult.Status.NEUTRAL, domain, selector, "unsupported algorithm a=" + tags.get("a"));
        }
        Optional<DkimResult> expired = expired(tags, domain, selector);
        if (expired.isPresent()) {
            return expired.get();
        }

        byte[] body = bodyCanon.equals("relaxed")
                ? RelaxedCanonicalization.body(wire, parts.bodyStart()) : SimpleCanonicalization.body(wire, parts.bodyStart());
        int hashedLength = body.length;
        if (tags.containsKey("l")) {
            if (!tags.get("l").matches("[0-9]{1,76}")) {
                return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "l= is not a number");
            }
            long limit = tags.get("l").length() > 18 ? Long.MAX_VALUE : Long.parseLong(tags.get("l"));
            if (limit > body.length) {
                return new DkimResult(DkimResult.Status.FAIL, domain, selector, "l= is longer than the body");
            }
            hashedLength = (int) limit; // only the first l= bytes are signed; what follows may have been appended
        }
        byte[] bodyHash = sha256(body, hashedLength);
        byte[] claimedBodyHash;
        try {
            claimedBodyHash = Base64.getDecoder().decode(TagList.withoutWhitespace(tags.get("bh")));
        } catch (IllegalArgumentException e) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "bh= is not base64");
        }
        if (!MessageDigest.isEqual(bodyHash, claimedBodyHash)) {
            return new DkimResult(DkimResult.Status.FAIL, domain, selector, "body hash did not verify");
        }

        boolean relaxedHeaders = headerCanon.equals("relaxed");
        StringBuilder data = new StringBuilder();
        for (HeaderField signed : HeaderSelection.select(parts.headers(), signedNames)) {
            data.append(relaxedHeaders ? RelaxedCanonicalization.header(signed.text()) : signed.text()).append("\r\n");
        }
        String own = withEmptySignature(field.text());
        data.append(relaxedHeaders ? RelaxedCanonicalization.header(own) : own);
        return signature(tags, data.toString().getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Checks b= of a signature's tags over {@code data} with the key its d= and s= publish. */
    DkimResult signature(Map<String, String> tags, byte[] data) {
        String domain = lower(tags.get("d"));
        String selector = lower(tags.get("s"));
        if (domain == null || selector == null || !tags.containsKey("a") || !tags.containsKey("b")) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "the signature lacks a=, b=, d= or s=");
        }
        DkimAlgorithm algorithm;
        try {
            algorithm = DkimAlgorithm.fromTag(tags.get("a"));
        } catch (IllegalArgumentException e) {
            return new DkimResult(DkimResult.Status.NEUTRAL, domain, selector, "unsupported algorithm a=" + tags.get("a"));
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(TagList.withoutWhitespace(tags.get("b")));
        } catch (IllegalArgumentException e) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "b= is not base64");
        }
        String name;
        try {
            name = DnsRecord.name(selector, domain);
        } catch (IllegalArgumentException e) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "d= or s= is not a DNS name");
        }
        Optional<List<String>> records = dns.records(name);
        if (records.isEmpty()) {
            return new DkimResult(DkimResult.Status.TEMPERROR, domain, selector, "no DNS answer for " + name);
        }
        if (records.get().isEmpty()) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "no key record at " + name);
        }
        // RFC 6376 §3.6.2.2: several records at one name are ambiguous; the first is used
        VerificationKey.Parsed key = VerificationKey.parse(records.get().get(0), algorithm);
        if (key.key().isEmpty()) {
            return new DkimResult(DkimResult.Status.PERMERROR, domain, selector, key.problem());
        }
        if (!key.key().get().verifies(data, signature)) {
            return new DkimResult(DkimResult.Status.FAIL, domain, selector, "signature did not verify");
        }
        return new DkimResult(DkimResult.Status.PASS, domain, selector, "");
    }

    /**
     * The field's text with the value of its b= tag removed and everything else, whitespace included, kept
     * (RFC 6376 §3.7): what the signer signed.
     */
    static String withEmptySignature(String fieldText) {
        int colon = fieldText.indexOf(':');
        StringBuilder out = new StringBuilder(fieldText.length());
        out.append(fieldText, 0, colon + 1);
        int at = colon + 1;
        while (at <= fieldText.length()) {
            int end = fieldText.indexOf(';', at);
            if (end < 0) {
                end = fieldText.length();
            }
            String spec = fieldText.substring(at, end);
            int equals = spec.indexOf('=');
            if (equals >= 0 && spec.substring(0, equals).trim().equals("b")) {
                out.append(spec, 0, equals + 1);
            } else {
                out.append(spec);
            }
            if (end < fieldText.length()) {
                out.append(';');
            }
            at = end + 1;
        }
        return out.toString();
    }

    /** The field's value: what follows the colon. */
    static String value(HeaderField field) {
        return field.text().substring(field.text().indexOf(':') + 1);
    }

    private Optional<DkimResult> expired(Map<String, String> tags, String domain, String selector) {
        if (!tags.containsKey("x")) {
            return Optional.empty();
        }
        try {
            long expiry = Long.parseLong(tags.get("x"));
            if (expiry < clock.instant().getEpochSecond()) {
                return Optional.of(new DkimResult(DkimResult.Status.FAIL, domain, selector, "the signature expired"));
            }
            return Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.of(new DkimResult(DkimResult.Status.PERMERROR, domain, selector, "x= is not a number"));
        }
    }

    private static List<String> headerNames(String h) {
        List<String> names = new ArrayList<>();
        for (String name : TagList.withoutWhitespace(h).split(":")) {
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return names;
    }

    private static boolean identityWithin(String identity, String domain) {
        int at = identity.lastIndexOf('@');
        String identityDomain = identity.substring(at + 1).toLowerCase(Locale.ROOT);
        return domain != null && (identityDomain.equals(domain) || identityDomain.endsWith("." + domain));
    }

    private static boolean isKnownAlgorithm(String tag) {
        try {
            DkimAlgorithm.fromTag(tag);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static boolean isKnownCanonicalization(String name) {
        return name.equals("simple") || name.equals("relaxed");
    }

    private static String lower(String value) {
        return value == null || value.isEmpty() ? null : value.toLowerCase(Locale.ROOT);
    }

    private static byte[] sha256(byte[] data, int length) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(data, 0, length);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
