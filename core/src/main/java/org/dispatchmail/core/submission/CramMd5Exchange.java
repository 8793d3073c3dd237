package org.dispatchmail.core.submission;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * One CRAM-MD5 exchange (RFC 2195): send {@link #challenge()} base64-encoded, then {@link #verify} the client's
 * decoded answer "login hexdigest". Single use: a second answer fails, so a challenge can never be replayed.
 */
public final class CramMd5Exchange {
    private static final int DIGEST_HEX_CHARS = 32;

    private final String challenge;
    private final Function<String, Optional<SubmissionUser>> users;
    private final UnknownLoginDecoy decoy;
    private final PasswordHashing hashing;
    private final AtomicBoolean answered = new AtomicBoolean();

    CramMd5Exchange(String challenge, Function<String, Optional<SubmissionUser>> users, UnknownLoginDecoy decoy,
                    PasswordHashing hashing) {
        this.challenge = challenge;
        this.users = users;
        this.decoy = decoy;
        this.hashing = hashing;
    }

    /** "&lt;random.timestamp@host&gt;", to be sent base64-encoded in the 334 reply. */
    public String challenge() {
        return challenge;
    }

    /** The login the client's decoded line "login hexdigest" names, to count a failure against; empty when none. */
    public static Optional<String> claimedLogin(String response) {
        int space = response == null ? -1 : response.lastIndexOf(' ');
        return space <= 0 ? Optional.empty() : Optional.of(response.substring(0, space));
    }

    /**
     * The client's decoded line "login hexdigest"; the stored (lower-case) login when the digest is HMAC-MD5 of the
     * challenge under that login's password. An unknown login takes the same work as a wrong digest.
     */
    public Optional<String> verify(String response) {
        if (!answered.compareAndSet(false, true) || response == null) {
            return Optional.empty();
        }
        int space = response.lastIndexOf(' ');
        if (space <= 0) {
            return Optional.empty();
        }
        byte[] digest = fromHex(response.substring(space + 1));
        if (digest == null) {
            return Optional.empty();
        }
        Optional<SubmissionUser> user = users.apply(response.substring(0, space));
        Credentials credentials = user.map(SubmissionUser::credentials).orElse(decoy.credentials());
        byte[] expected = CramMd5Context.hmac(credentials.cramMd5Context(),
            challenge.getBytes(StandardCharsets.US_ASCII));
        boolean matches = hashing.same(expected, digest);
        return matches && user.isPresent() ? Optional.of(user.get().login()) : Optional.empty();
    }

    @Override
    public String toString() {
        return "CramMd5Exchange[" + challenge + "]";
    }

    /** RFC 2195 asks for lower-case hex; upper case is accepted too. */
    private static byte[] fromHex(String hex) {
        if (hex.length() != DIGEST_HEX_CHARS) {
            return null;
        }
        byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++) {
            int high = hexValue(hex.charAt(2 * i));
            int low = hexValue(hex.charAt(2 * i + 1));
            if (high < 0 || low < 0) {
                return null;
            }
            bytes[i] = (byte) (high << 4 | low);
        }
        return bytes;
    }

    /** ASCII hex only: Character.digit would also take other scripts' digits. */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }
}
