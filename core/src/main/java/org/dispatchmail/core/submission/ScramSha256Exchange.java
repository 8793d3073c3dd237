package org.dispatchmail.core.submission;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

import org.dispatchmail.core.submission.ScramMessages.ClientFinal;
import org.dispatchmail.core.submission.ScramMessages.ClientFirst;
import org.dispatchmail.core.submission.ScramMessages.Rejection;

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677) without channel binding: the client may send
 * "n,," or "y,," (it would bind, but sees no -PLUS mechanism offered); "p=" is refused. Messages are the decoded
 * SASL payloads. An unknown login gets a consistent made-up salt and the default iteration count, and fails at the
 * proof exactly as a wrong password does (RFC 5802 section 9). One exchange serves one attempt.
 */
public final class ScramSha256Exchange {
    private enum Stage { AWAITING_CLIENT_FIRST, AWAITING_CLIENT_FINAL, DONE }

    private final Function<String, Optional<SubmissionUser>> users;
    private final UnknownLoginDecoy decoy;
    private final PasswordHashing hashing;
    private final Supplier<String> serverNonces;

    private Stage stage = Stage.AWAITING_CLIENT_FIRST;
    private ClientFirst clientFirst;
    private String serverFirst;
    private String nonce;
    private Optional<SubmissionUser> user = Optional.empty();
    private byte[] storedKey;
    private byte[] serverKey;

    ScramSha256Exchange(Function<String, Optional<SubmissionUser>> users, UnknownLoginDecoy decoy,
                        PasswordHashing hashing, Supplier<String> serverNonces) {
        this.users = users;
        this.decoy = decoy;
        this.hashing = hashing;
        this.serverNonces = serverNonces;
    }

    /** What the adapter sends next: the server-first or server-final message, or an "e=..." error. */
    public static final class Step {
        private final boolean ok;
        private final String message;
        private final Optional<String> login;
        private final String reason;

        private Step(boolean ok, String message, Optional<String> login, String reason) {
            this.ok = ok;
            this.message = message;
            this.login = login;
            this.reason = reason;
        }

        static Step next(String message) {
            return new Step(true, message, Optional.empty(), "");
        }

        static Step success(String serverFinal, String login) {
            return new Step(true, serverFinal, Optional.of(login), "");
        }

        static Step failure(String error, String reason) {
            return new Step(false, "e=" + error, Optional.empty(), reason);
        }

        public boolean ok() {
            return ok;
        }

        /** server-first-message, server-final-message "v=...", or on failure "e=" and an RFC 5802 error value. */
        public String message() {
            return message;
        }

        /** The stored login, after a successful client-final-message only. */
        public Optional<String> login() {
            return login;
        }

        /** Why it failed, for the log (empty on success); never holds secrets and never tells a user from none. */
        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return "Step[" + (ok ? "ok" : "failed") + ", " + message + (reason.isEmpty() ? "" : ", " + reason) + "]";
        }
    }

    /** Step 1: the client-first-message; returns the server-first-message "r=...,s=...,i=...". */
    public synchronized Step onClientFirst(String message) {
        if (stage != Stage.AWAITING_CLIENT_FIRST) {
            stage = Stage.DONE;
            return Step.failure("other-error", "client-first-message sent twice");
        }
        stage = Stage.DONE;
        try {
            clientFirst = ClientFirst.parse(message);
        } catch (Rejection e) {
            return Step.failure(e.error, e.getMessage());
        }
        user = users.apply(clientFirst.username);
        byte[] salt;
        int iterations;
        if (user.isPresent()) {
            Credentials credentials = user.get().credentials();
            salt = credentials.scramSalt();
            iterations = credentials.scramIterations();
            storedKey = credentials.scramStoredKey();
            serverKey = credentials.scramServerKey();
        } else {
            String lower = SubmissionAddresses.lower(clientFirst.username);
            salt = decoy.scramSalt(lower);
            iterations = decoy.scramIterations();
            storedKey = decoy.credentials().scramStoredKey();
            serverKey = decoy.credentials().scramServerKey();
        }
        nonce = clientFirst.nonce + serverNonces.get();
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
        stage = Stage.AWAITING_CLIENT_FINAL;
        return Step.next(serverFirst);
    }

    /** The login the client-first-message named, as the client wrote it; empty before one was accepted. */
    public synchronized Optional<String> claimedLogin() {
        return clientFirst == null ? Optional.empty() : Optional.of(clientFirst.username);
    }

    /** Step 2: the client-final-message; success carries the login and the server-final-message "v=...". */
    public synchronized Step onClientFinal(String message) {
        if (stage != Stage.AWAITING_CLIENT_FINAL) {
            stage = Stage.DONE;
            return Step.failure("other-error", "client-final-message without an accepted client-first-message");
        }
        stage = Stage.DONE;
        ClientFinal clientFinal;
        try {
            clientFinal = ClientFinal.parse(message);
        } catch (Rejection e) {
            return Step.failure(e.error, e.getMessage());
        }
        String expectedBinding = Base64.getEncoder()
            .encodeToString(clientFirst.gs2Header.getBytes(StandardCharsets.UTF_8));
        if (!clientFinal.channelBinding.equals(expectedBinding)) {
            return Step.failure("channel-bindings-dont-match", "c= does not repeat the GS2 header");
        }
        if (!clientFinal.nonce.equals(nonce)) {
            return Step.failure("other-error", "r= is not the nonce of this exchange");
        }
        byte[] authMessage = (clientFirst.bare + "," + serverFirst + "," + clientFinal.withoutProof)
            .getBytes(StandardCharsets.UTF_8);
        // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is right when H(ClientKey) = StoredKey.
        byte[] clientKey = ScramKeys.xor(clientFinal.proof, ScramKeys.hmac(storedKey, authMessage));
        boolean proven = hashing.same(storedKey, ScramKeys.sha256(clientKey));
        if (!proven || user.isEmpty()) {
            return Step.failure("invalid-proof", "wrong password or unknown login");
        }
        byte[] serverSignature = ScramKeys.hmac(serverKey, authMessage);
        return Step.success("v=" + Base64.getEncoder().encodeToString(serverSignature), user.get().login());
    }
}
