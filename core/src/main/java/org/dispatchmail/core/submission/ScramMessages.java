package org.dispatchmail.core.submission;

import java.util.Base64;

/**
 * Parsing of the two SCRAM client messages (RFC 5802 section 7). A message that cannot be accepted becomes a
 * {@link Rejection} carrying the RFC's server-error-value and a reason for the log.
 */
final class ScramMessages {
    private static final int MAX_NONCE_CHARS = 512;

    private ScramMessages() {
    }

    /** A client message refused: {@code error} is the RFC 5802 server-error-value, {@code reason} for logs. */
    static final class Rejection extends Exception {
        private static final long serialVersionUID = 1L;
        final String error;

        Rejection(String error, String reason) {
            super(reason, null, false, false);
            this.error = error;
        }
    }

    /** client-first-message = gs2-header client-first-message-bare. */
    static final class ClientFirst {
        final String gs2Header;
        final String bare;
        final String username;
        final String nonce;

        private ClientFirst(String gs2Header, String bare, String username, String nonce) {
            this.gs2Header = gs2Header;
            this.bare = bare;
            this.username = username;
            this.nonce = nonce;
        }

        static ClientFirst parse(String message) throws Rejection {
            if (message == null) {
                throw new Rejection("invalid-encoding", "no client-first-message");
            }
            if (message.startsWith("p=")) {
                int comma = message.indexOf(',');
                String type = comma < 0 ? message.substring(2) : message.substring(2, comma);
                throw new Rejection("channel-binding-not-supported", "the client asks for channel binding ("
                    + printable(type) + "); Dispatch offers SCRAM-SHA-256 without channel binding only");
            }
            // "n": the client does not do channel binding; "y": it does but thinks the server does not (true here).
            if (!message.startsWith("n,") && !message.startsWith("y,")) {
                throw new Rejection("invalid-encoding", "the GS2 header does not start with n, y or p=");
            }
            String rest = message.substring(2);
            String authzid = null;
            if (rest.startsWith("a=")) {
                int comma = rest.indexOf(',');
                if (comma < 0) {
                    throw new Rejection("invalid-encoding", "the GS2 header does not end with a comma");
                }
                authzid = saslName(rest.substring(2, comma), "invalid-encoding");
                rest = rest.substring(comma + 1);
            } else if (rest.startsWith(",")) {
                rest = rest.substring(1);
            } else {
                throw new Rejection("invalid-encoding", "the GS2 header does not end with a comma");
            }
            String gs2Header = message.substring(0, message.length() - rest.length());
            String[] attributes = rest.split(",", -1);
            if (attributes[0].startsWith("m=")) {
                throw new Rejection("extensions-not-supported", "the client requires a SCRAM extension (m=)");
            }
            if (!attributes[0].startsWith("n=") || attributes.length < 2 || !attributes[1].startsWith("r=")) {
                throw new Rejection("invalid-encoding", "the client-first-message is not n=...,r=...");
            }
            String username = saslName(attributes[0].substring(2), "invalid-username-encoding");
            if (username.isEmpty()) {
                throw new Rejection("invalid-username-encoding", "the username is empty");
            }
            if (authzid != null && !authzid.equalsIgnoreCase(username)) {
                throw new Rejection("other-error", "the client asks to act as another user (authzid), not supported");
            }
            return new ClientFirst(gs2Header, rest, username, nonce(attributes[1].substring(2)));
        }
    }

    /** client-final-message = channel-binding "," nonce ["," extensions] "," proof. */
    static final class ClientFinal {
        final String channelBinding;
        final String nonce;
        final String withoutProof;
        final byte[] proof;

        private ClientFinal(String channelBinding, String nonce, String withoutProof, byte[] proof) {
            this.channelBinding = channelBinding;
            this.nonce = nonce;
            this.withoutProof = withoutProof;
            this.proof = proof;
        }

        static ClientFinal parse(String message) throws Rejection {
            if (message == null) {
                throw new Rejection("invalid-encoding", "no client-final-message");
            }
            // The proof is the last attribute and base64 has no commas, so the last ",p=" starts it.
            int proofAt = message.lastIndexOf(",p=");
            if (proofAt < 0) {
                throw new Rejection("invalid-encoding", "the client-final-message has no proof (p=)");
            }
            String withoutProof = message.substring(0, proofAt);
            String[] attributes = withoutProof.split(",", -1);
            if (attributes.length < 2 || !attributes[0].startsWith("c=") || !attributes[1].startsWith("r=")) {
                throw new Rejection("invalid-encoding", "the client-final-message is not c=...,r=...,p=...");
            }
            byte[] proof;
            try {
                proof = Base64.getDecoder().decode(message.substring(proofAt + 3));
            } catch (IllegalArgumentException e) {
                throw new Rejection("invalid-encoding", "the proof is not base64");
            }
            if (proof.length != ScramKeys.KEY_BYTES) {
                throw new Rejection("invalid-encoding", "the proof has " + proof.length + " bytes, not 32");
            }
            return new ClientFinal(attributes[0].substring(2), attributes[1].substring(2), withoutProof, proof);
        }
    }

    /** saslname: "=2C" stands for ",", "=3D" for "="; any other "=" is an encoding error. */
    private static String saslName(String encoded, String error) throws Rejection {
        StringBuilder decoded = new StringBuilder(encoded.length());
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c != '=') {
                decoded.append(c);
                continue;
            }
            String escape = i + 3 <= encoded.length() ? encoded.substring(i + 1, i + 3) : "";
            if (escape.equalsIgnoreCase("2C")) {
                decoded.append(',');
            } else if (escape.equalsIgnoreCase("3D")) {
                decoded.append('=');
            } else {
                throw new Rejection(error, "a name holds '=' not followed by 2C or 3D");
            }
            i += 2;
        }
        return decoded.toString();
    }

    /** printable = %x21-2B / %x2D-7E (no comma). */
    private static String nonce(String nonce) throws Rejection {
        if (nonce.isEmpty() || nonce.length() > MAX_NONCE_CHARS) {
            throw new Rejection("invalid-encoding", "the client nonce is empty or longer than " + MAX_NONCE_CHARS);
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',') {
                throw new Rejection("invalid-encoding", "the client nonce holds a character outside printable ASCII");
            }
        }
        return nonce;
    }

    private static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) : text;
        return cut.replaceAll("[^\\x21-\\x7e]", "?");
    }
}
