package org.dispatchmail.core.dkim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** The DNS TXT record that publishes a key (RFC 6376 §3.6.1), and the check that DNS publishes it. */
public final class DnsRecord {

    /** A TXT record is a list of strings of at most 255 bytes each (RFC 1035 §3.3.14). */
    static final int MAX_STRING = 255;

    private DnsRecord() {
    }

    /** "v=DKIM1; k=rsa; p=...", the TXT value to publish at selector._domainkey.domain. */
    public static String txtValue(DkimPrivateKey key) {
        Objects.requireNonNull(key, "key");
        return "v=DKIM1; k=" + key.algorithm().keyType() + "; p=" + key.publicKeyBase64();
    }

    /** The same split into <=255-character strings, as a zone file or dnsmasq wants them. */
    public static List<String> txtStrings(DkimPrivateKey key) {
        String value = txtValue(key);
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < value.length(); start += MAX_STRING) {
            strings.add(value.substring(start, Math.min(value.length(), start + MAX_STRING)));
        }
        return strings;
    }

    /** "sel._domainkey.example.com"; selector and domain are checked and lowercased as for {@link SigningKey}. */
    public static String name(String selector, String domain) {
        return DnsNames.selector(selector) + "._domainkey." + DnsNames.domain(domain);
    }

    /**
     * Whether a TXT value found in DNS (its strings concatenated) publishes exactly this key, so that verifiers will
     * accept its signatures: the tags parse; v=, when present, is DKIM1; k= (default rsa) is the key's type; p= holds
     * the same key (whitespace ignored); h=, when present, allows sha256; s=, when present, allows email. Tag order
     * does not matter. A null or malformed value is simply not a match.
     */
    public static boolean publishes(String txtFound, DkimPrivateKey key) {
        Objects.requireNonNull(key, "key");
        if (txtFound == null) {
            return false;
        }
        Optional<Map<String, String>> parsed = TagList.parse(txtFound);
        if (parsed.isEmpty()) {
            return false;
        }
        Map<String, String> tags = parsed.get();
        if (tags.containsKey("v") && !tags.get("v").equals("DKIM1")) {
            return false;
        }
        if (!tags.getOrDefault("k", "rsa").equalsIgnoreCase(key.algorithm().keyType())) {
            return false;
        }
        if (tags.containsKey("h") && !listAllows(tags.get("h"), "sha256")) {
            return false;
        }
        if (tags.containsKey("s") && !listAllows(tags.get("s"), "email") && !listAllows(tags.get("s"), "*")) {
            return false;
        }
        String published = tags.get("p");
        return published != null && sameKey(TagList.withoutWhitespace(published), key.publicKeyBase64());
    }

    private static boolean listAllows(String colonList, String wanted) {
        for (String item : TagList.withoutWhitespace(colonList).split(":")) {
            if (item.equalsIgnoreCase(wanted)) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameKey(String publishedBase64, String ourBase64) {
        if (publishedBase64.isEmpty()) {
            return false; // an empty p= means the key was revoked
        }
        try {
            // compare bytes, not text: padding or line breaks may differ
            return Arrays.equals(Base64.getDecoder().decode(publishedBase64), Base64.getDecoder().decode(ourBase64));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
