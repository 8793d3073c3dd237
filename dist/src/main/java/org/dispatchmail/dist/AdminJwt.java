package org.dispatchmail.dist;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JSON Web Token James's webadmin accepts (its JwtFilter, James 3.8.1): signed RS256 with the
 * key whose public half is in jwt.publickeypem.url, with a non-empty "sub" and "admin": true.
 * Made and checked with the JDK alone.
 */
final class AdminJwt {
    private static final String HEADER = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    private static final Pattern EXPIRY = Pattern.compile("\"exp\"\\s*:\\s*(\\d+)");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    private AdminJwt() {
    }

    static String sign(PrivateKey key, String subject, Instant issued, Instant expires) {
        if (!subject.matches("[A-Za-z0-9._@-]+")) {
            throw new IllegalArgumentException("the token subject '" + subject + "' may hold only letters, digits and ._@-");
        }
        String claims = "{\"sub\":\"" + subject + "\",\"admin\":true,\"iat\":" + issued.getEpochSecond()
            + ",\"exp\":" + expires.getEpochSecond() + "}";
        String signed = encode(HEADER) + "." + encode(claims);
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(signed.getBytes(StandardCharsets.US_ASCII));
            return signed + "." + ENCODER.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with RS256: " + e.getMessage(), e);
        }
    }

    /** True when the token carries a valid signature of this key and expires after the given instant. */
    static boolean validUntil(String token, PublicKey key, Instant instant) {
        String[] parts = token.trim().split("\\.");
        if (parts.length != 3) {
            return false;
        }
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initVerify(key);
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!signature.verify(Base64.getUrlDecoder().decode(parts[2]))) {
                return false;
            }
            Matcher expiry = EXPIRY.matcher(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            return expiry.find() && Long.parseLong(expiry.group(1)) > instant.getEpochSecond();
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String encode(String json) {
        return ENCODER.encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }
}
