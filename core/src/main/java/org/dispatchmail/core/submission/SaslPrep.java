package org.dispatchmail.core.submission;

import java.text.Normalizer;

/**
 * The mapping and normalisation steps of SASLprep (RFC 4013 sections 2.1 and 2.2), which SCRAM clients apply to the
 * password before hashing it (RFC 5802 section 2.2). Applied to every password Dispatch hashes for PLAIN, LOGIN and
 * SCRAM, so the same password typed in another Unicode form still matches. The prohibited-output check is left out:
 * a client that rejects such a password simply cannot use SCRAM with it, and nothing here depends on it.
 */
final class SaslPrep {
    private SaslPrep() {
    }

    static String prepare(String text) {
        if (isAscii(text)) {
            return text;
        }
        StringBuilder mapped = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (isNonAsciiSpace(cp)) {
                mapped.append(' ');
            } else if (!mapsToNothing(cp)) {
                mapped.appendCodePoint(cp);
            }
        });
        return Normalizer.normalize(mapped, Normalizer.Form.NFKC);
    }

    private static boolean isAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** RFC 3454 table C.1.2. */
    private static boolean isNonAsciiSpace(int cp) {
        return cp == 0x00a0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) || cp == 0x202f || cp == 0x205f
            || cp == 0x3000;
    }

    /** RFC 3454 table B.1. */
    private static boolean mapsToNothing(int cp) {
        return cp == 0x00ad || cp == 0x034f || cp == 0x1806 || (cp >= 0x180b && cp <= 0x180d)
            || (cp >= 0x200c && cp <= 0x200d) || cp == 0x2060 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff;
    }
}
