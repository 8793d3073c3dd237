package org.dispatchmail.it.support;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/** The client side of the SASL mechanisms, written from the RFCs, to talk to the server under test. */
public final class SaslClient {
    private SaslClient() {
    }

    public static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String unbase64(String text) {
        return new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
    }

    public static String plain(String login, String password) {
        return base64("\0" + login + "\0" + password);
    }

    /** RFC 2195: "login hex(HMAC-MD5(password, challenge))", base64. */
    public static String cramMd5(String login, String password, String challenge) throws GeneralSecurityException {
        byte[] digest = hmac("HmacMD5", password.getBytes(StandardCharsets.UTF_8), challenge.getBytes(StandardCharsets.UTF_8));
        StringBuilder hex = new StringBuilder();
        for (byte b : digest) {
            hex.append(String.format("%02x", b));
        }
        return base64(login + " " + hex);
    }

    /** RFC 5802 / 7677 client, without channel binding. */
    public static final class Scram {
        private final String login;
        private final String password;
        private final String clientNonce;
        private String authMessage;
        private byte[] saltedPassword;

        public Scram(String login, String password, String clientNonce) {
            this.login = login;
            this.password = password;
            this.clientNonce = clientNonce;
        }

        public String clientFirst() {
            return "n,," + firstBare();
        }

        private String firstBare() {
            return "n=" + login.replace("=", "=3D").replace(",", "=2C") + ",r=" + clientNonce;
        }

        public String clientFinal(String serverFirst) throws GeneralSecurityException {
            Map<String, String> fields = fields(serverFirst);
            String nonce = fields.get("r");
            if (!nonce.startsWith(clientNonce)) {
                throw new IllegalStateException("server nonce does not extend the client's: " + serverFirst);
            }
            byte[] salt = Base64.getDecoder().decode(fields.get("s"));
            int iterations = Integer.parseInt(fields.get("i"));
            saltedPassword = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
            String withoutProof = "c=biws,r=" + nonce;
            authMessage = firstBare() + "," + serverFirst + "," + withoutProof;
            byte[] clientKey = hmac("HmacSHA256", saltedPassword, "Client Key".getBytes(StandardCharsets.UTF_8));
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            byte[] signature = hmac("HmacSHA256", storedKey, authMessage.getBytes(StandardCharsets.UTF_8));
            byte[] proof = new byte[clientKey.length];
            for (int i = 0; i < proof.length; i++) {
                proof[i] = (byte) (clientKey[i] ^ signature[i]);
            }
            return withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof);
        }

        /** The "v=" the server must send back. */
        public String expectedServerFinal() throws GeneralSecurityException {
            byte[] serverKey = hmac("HmacSHA256", saltedPassword, "Server Key".getBytes(StandardCharsets.UTF_8));
            return "v=" + Base64.getEncoder().encodeToString(hmac("HmacSHA256", serverKey,
                authMessage.getBytes(StandardCharsets.UTF_8)));
        }

        private static Map<String, String> fields(String message) {
            Map<String, String> fields = new LinkedHashMap<>();
            for (String part : message.split(",")) {
                fields.put(part.substring(0, 1), part.substring(2));
            }
            return fields;
        }
    }

    private static byte[] hmac(String algorithm, byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance(algorithm);
        mac.init(new SecretKeySpec(key, algorithm));
        return mac.doFinal(data);
    }
}
