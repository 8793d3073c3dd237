package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The streamed hash against {@link RelaxedCanonicalization#body} of the body brought to CRLF, hashed whole: the same
 * digest for every body and however the body is cut into pieces.
 */
class RelaxedBodyHashTest {

    private static final List<String> BODIES = List.of(
            "",
            "\r\n",
            "\n",
            "\r\n\r\n\r\n",
            "\n\n\n",
            " \t \r\n  \r\n\t\n",
            "   ",
            "no break",
            "line\r\n   ",
            "trailing   \t\r\nspace \n",
            "\t\t  indented  text \t\r\n",
            "in  \t  between\r\n",
            "a\nb\r\nc\n\n",
            "\nx",
            "a\rb \r\n",
            "\r",
            "\r\r",
            "\r\r\n",
            "a\r",
            "a \r",
            "a \r\n",
            "\r\n\r\na\r\n\r\n \r\nb\r\n\r\n",
            " C \r\nD \t E\r\n\r\n\r\n",
            "x\r\n\r\n\r\n \r\n\r\n",
            "\n\r\n \n\r\r\n",
            "Grüße\r\n \u00a0 \r\n");

    @Test
    void sameDigestAsTheWholeCanonicalBody() {
        for (String body : BODIES) {
            byte[] bytes = bytes(body);
            assertThat(whole(bytes)).as(printable(body)).isEqualTo(reference(bytes));
        }
    }

    @Test
    void oneByteAtATimeGivesTheSameDigest() {
        for (String body : BODIES) {
            byte[] bytes = bytes(body);
            assertThat(oneByteAtATime(bytes)).as(printable(body)).isEqualTo(reference(bytes));
        }
    }

    @Test
    void crlfSplitBetweenTwoPiecesIsOneLineEnding() {
        byte[] bytes = bytes("a\r\n\r\nb \r\n\r\n");
        for (int cut = 0; cut <= bytes.length; cut++) {
            RelaxedBodyHash hash = new RelaxedBodyHash();
            hash.update(bytes, 0, cut);
            hash.update(bytes, cut, bytes.length - cut);
            assertThat(hash.digest()).as("cut at %d", cut).isEqualTo(reference(bytes));
        }
        assertThat(whole(bytes)).isEqualTo(sha256(bytes("a\r\n\r\nb\r\n")));
    }

    @Test
    void emptyBodiesHashAsNothing() {
        byte[] nothing = sha256(new byte[0]);
        for (String body : List.of("", "\r\n", "\n", "\r\n\r\n", " \t\r\n", "  ", "\n \n\t\n")) {
            assertThat(whole(bytes(body))).as(printable(body)).isEqualTo(nothing);
        }
        assertThat(Base64.getEncoder().encodeToString(nothing)).isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    @Test
    void canonicalFormsOfSomeBodies() {
        assertThat(whole(bytes(" C \r\nD \t E\r\n\r\n\r\n"))).isEqualTo(sha256(bytes(" C\r\nD E\r\n")));
        assertThat(whole(bytes("no break"))).isEqualTo(sha256(bytes("no break\r\n")));
        assertThat(whole(bytes("a\nb\n\n"))).isEqualTo(sha256(bytes("a\r\nb\r\n")));
        assertThat(whole(bytes("a\rb \r\n"))).isEqualTo(sha256(bytes("a\rb\r\n")));
        assertThat(whole(bytes("\r"))).isEqualTo(sha256(bytes("\r\r\n")));
    }

    @Test
    void randomBodiesOfWhitespaceAndLineEndingsInRandomPieces() {
        Random random = new Random(6376);
        byte[] alphabet = bytes("a \t\r\n");
        for (int n = 0; n < 2_000; n++) {
            byte[] body = new byte[random.nextInt(40)];
            for (int i = 0; i < body.length; i++) {
                body[i] = alphabet[random.nextInt(alphabet.length)];
            }
            byte[] expected = reference(body);
            String context = printable(new String(body, StandardCharsets.ISO_8859_1));

            assertThat(whole(body)).as(context).isEqualTo(expected);
            assertThat(oneByteAtATime(body)).as(context).isEqualTo(expected);
            RelaxedBodyHash pieces = new RelaxedBodyHash();
            int offset = 0;
            while (offset < body.length) {
                int length = Math.min(body.length - offset, random.nextInt(6));
                pieces.update(body, offset, length);
                offset += length;
            }
            assertThat(pieces.digest()).as(context).isEqualTo(expected);
        }
    }

    @Test
    void ofHashesFromTheBodyStart() {
        byte[] message = bytes("From: a@example.com\r\n\r\n  body \r\n\r\n");

        assertThat(RelaxedBodyHash.of(message, 23)).isEqualTo(sha256(bytes(" body\r\n")));
    }

    @Test
    void nothingCanBeAddedAfterTheDigest() {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        hash.digest();

        assertThatThrownBy(() -> hash.update(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(hash::digest).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void piecesOutsideTheArrayAreRefused() {
        assertThatThrownBy(() -> new RelaxedBodyHash().update(new byte[4], 2, 3))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /** What the signer hashed before it streamed: the body brought to CRLF, canonicalized whole, then hashed. */
    static byte[] reference(byte[] body) {
        return sha256(RelaxedCanonicalization.body(LineEndings.toCrlf(body), 0));
    }

    private static byte[] whole(byte[] body) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        hash.update(body, 0, body.length);
        return hash.digest();
    }

    private static byte[] oneByteAtATime(byte[] body) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        for (int i = 0; i < body.length; i++) {
            hash.update(body, i, 1);
        }
        return hash.digest();
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static String printable(String body) {
        return "\"" + body.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + "\"";
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
