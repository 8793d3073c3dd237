package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link DkimSigner#sign(InputStream, List)}: the fields of the whole message, from a body that is never held. */
class DkimSignerStreamTest {

    private static final Instant NOW = Instant.ofEpochSecond(1_717_171_717L);
    private static final SigningKey ED25519 = new SigningKey("example.com", "ed", TestKeys.ED25519.privateKey());
    private static final SigningKey RSA = new SigningKey("example.com", "rsa", TestKeys.RSA.privateKey());
    private static final String HEADER = "From: Alice <alice@example.com>\r\n"
            + "To: Bob <bob@example.org>\r\n"
            + "Subject: Lunch\r\n"
            + "Date: Sat, 1 Jun 2024 12:00:00 +0000\r\n"
            + "Message-ID: <1@example.com>\r\n";
    private static final long FIFTY_MIB = 50L * 1024 * 1024;

    private final DkimSigner signer = new DkimSigner(Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void streamGivesTheFieldsOfTheArrayHoweverItIsRead() throws IOException {
        List<SigningKey> keys = List.of(ED25519, RSA);
        String longHeader = "X-Long: " + "h".repeat(70_000) + "\r\n";
        String longBody = "line of a longer body \t \r\n".repeat(5_000);
        List<String> messages = List.of(
                HEADER + "\r\nNoon?\r\n",
                (HEADER + "\r\nNoon?\r\n\r\nAlice\r\n").replace("\r\n", "\n"),
                HEADER + "\n\r\n  body\r\n",
                HEADER + "\r\n",
                HEADER,
                HEADER + "Subject: no final CRLF",
                HEADER + "\r\nlast line",
                HEADER + "\r\na\rb \r\n\r",
                HEADER + "\r\n\n\n \r\n",
                longHeader + HEADER + "\r\nbody\r\n",
                HEADER + "\r\n" + longBody,
                HEADER + "\r\n" + "x".repeat(200_000));
        Random random = new Random(6376);
        for (String text : messages) {
            byte[] message = bytes(text);
            List<String> fromArray = signer.sign(message, keys);
            String context = text.length() > 80 ? text.substring(0, 80) + "..." : text;

            assertThat(signer.sign(new ByteArrayInputStream(message), keys)).as(context).isEqualTo(fromArray);
            assertThat(signer.sign(new PiecewiseStream(message, random, 1), keys)).as(context).isEqualTo(fromArray);
            assertThat(signer.sign(new PiecewiseStream(message, random, 7), keys)).as(context).isEqualTo(fromArray);
            assertThat(signer.sign(new PiecewiseStream(message, random, 100_000), keys)).as(context).isEqualTo(fromArray);
        }
    }

    @Test
    void reproducesTheRfc8463SignaturesFromAStream() throws IOException {
        DkimSigner rfcSigner = new DkimSigner(
                Clock.fixed(Instant.ofEpochSecond(Rfc8463Example.TIMESTAMP), ZoneOffset.UTC));
        SignatureOptions rfcLayout = SignatureOptions.STANDARD
                .withHeaderNames(List.of(Rfc8463Example.HEADER_LIST.split(" : ")), " : ")
                .withTagAfterDomain("i", "@football.example.com")
                .withTagAfterDomain("q", "dns/txt");

        List<String> fields = rfcSigner.sign(new PiecewiseStream(Rfc8463Example.message(), new Random(8463), 3),
                List.of(Rfc8463Example.ed25519Key(), Rfc8463Example.rsaKey()), rfcLayout);

        assertThat(fields).extracting(field -> Rfc8463VectorTest.tag(field, "bh"))
                .containsExactly(Rfc8463Example.BODY_HASH, Rfc8463Example.BODY_HASH);
        assertThat(Rfc8463VectorTest.tag(fields.get(0), "b")).isEqualTo(Rfc8463Example.ED25519_SIGNATURE);
        assertThat(Rfc8463VectorTest.tag(fields.get(1), "b")).isEqualTo(Rfc8463Example.RSA_SIGNATURE);
    }

    @Test
    void splitsAndHashesAsTheWholeMessageCanonicalizationDoes() throws IOException {
        // messages of random lines with bare LFs, bare CRs and whitespace, against what the signer computed on the
        // whole message before it streamed, and checked by the verifier, which still reads the message whole
        String[] pieces = {"\r\n", "\n", "\r", " ", "\t", "x", "To: b@example.org", "Subject: s", " folded"};
        Random random = new Random(8463);
        String keyName = DnsRecord.name("ed", "example.com");
        DkimVerifier verifier = new DkimVerifier(name -> Optional.of(
                name.equals(keyName) ? List.of(DnsRecord.txtValue(ED25519.key())) : List.of()),
                Clock.fixed(NOW, ZoneOffset.UTC));
        for (int n = 0; n < 500; n++) {
            StringBuilder text = new StringBuilder("From: a@example.com");
            int count = random.nextInt(30);
            for (int i = 0; i < count; i++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            byte[] message = bytes(text.toString());
            byte[] wire = LineEndings.toCrlf(message);
            MessageParts parts = MessageParts.split(wire);
            String expectedBodyHash = Base64.getEncoder().encodeToString(
                    RelaxedBodyHashTest.sha256(RelaxedCanonicalization.body(wire, parts.bodyStart())));
            String expectedNames = String.join(":", HeaderSelection.overSigned(parts, DkimSigner.SIGNED_HEADERS));

            String field = signer.sign(new PiecewiseStream(message, random, 5), List.of(ED25519)).get(0);

            String context = text.toString().replace("\r", "\\r").replace("\n", "\\n");
            assertThat(Rfc8463VectorTest.tag(field, "bh")).as(context).isEqualTo(expectedBodyHash);
            assertThat(Rfc8463VectorTest.tag(field, "h")).as(context).isEqualTo(expectedNames);
            assertThat(verifier.verify(DkimSigner.prepend(List.of(field), message)))
                    .as(context).extracting(DkimResult::status).containsExactly(DkimResult.Status.PASS);
        }
    }

    @Test
    void headerBlockOverOneMebibyteIsRefused() {
        String filler = "X-Filler: " + "f".repeat(1000) + "\r\n";
        String header = HEADER + filler.repeat(MessageStream.MAX_HEADER_BYTES / filler.length() + 1);
        byte[] message = bytes(header + "\r\nbody\r\n");

        assertThatThrownBy(() -> signer.sign(new ByteArrayInputStream(message), List.of(ED25519)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("header block is longer than 1048576 bytes (1 MiB)");
        assertThatThrownBy(() -> signer.sign(message, List.of(ED25519)))
                .isInstanceOf(IllegalArgumentException.class);
        byte[] headerOnly = bytes(header);
        assertThatThrownBy(() -> signer.sign(headerOnly, List.of(ED25519)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void headerBlockOfExactlyOneMebibyteIsSigned() throws IOException {
        // the header block counts as read, the empty line that ends it included
        String end = "\r\n\r\n";
        int fill = MessageStream.MAX_HEADER_BYTES - HEADER.length() - "X-Filler: ".length() - end.length();
        String header = HEADER + "X-Filler: " + "f".repeat(fill) + end;
        assertThat(header).hasSize(MessageStream.MAX_HEADER_BYTES);

        List<String> fields = signer.sign(new ByteArrayInputStream(bytes(header + "body\r\n")), List.of(ED25519));

        assertThat(Rfc8463VectorTest.tag(fields.get(0), "bh")).isEqualTo(
                Base64.getEncoder().encodeToString(RelaxedBodyHashTest.sha256(bytes("body\r\n"))));
    }

    @Test
    void fiftyMebibyteBodyIsHashedAsItIsRead() throws IOException {
        byte[] pattern = bytes("Some  text\twith  runs of whitespace \t \r\nand bare line feeds\n\n \r\n"
                + "a\rlone CR\r\n\r\n");
        GeneratedMessage message = new GeneratedMessage(bytes(HEADER + "\r\n"), pattern, FIFTY_MIB);

        String field = signer.sign(message, List.of(ED25519)).get(0);

        assertThat(message.bodyBytesRead()).isEqualTo(FIFTY_MIB);
        assertThat(message.largestRead()).isLessThanOrEqualTo(64 * 1024);
        assertThat(Rfc8463VectorTest.tag(field, "bh")).isEqualTo(expectedBodyHash(pattern, FIFTY_MIB));
    }

    @Test
    void fiftyMebibyteBodyOnOneLineIsHashedAsItIsRead() throws IOException {
        byte[] pattern = bytes("no  line\t\tending \r anywhere  ");
        GeneratedMessage message = new GeneratedMessage(bytes(HEADER.replace("\r\n", "\n") + "\n"), pattern, FIFTY_MIB);

        String field = signer.sign(message, List.of(ED25519)).get(0);

        assertThat(message.bodyBytesRead()).isEqualTo(FIFTY_MIB);
        assertThat(Rfc8463VectorTest.tag(field, "bh")).isEqualTo(expectedBodyHash(pattern, FIFTY_MIB));
    }

    @Test
    void aFailedReadIsThrown() {
        InputStream failing = new InputStream() {
            private final InputStream header = new ByteArrayInputStream(bytes(HEADER + "\r\nbody"));

            @Override
            public int read() throws IOException {
                int b = header.read();
                if (b < 0) {
                    throw new IOException("connection reset");
                }
                return b;
            }
        };

        assertThatThrownBy(() -> signer.sign(failing, List.of(ED25519)))
                .isInstanceOf(IOException.class)
                .hasMessage("connection reset");
    }

    @Test
    void messageWithoutFromIsRefusedBeforeItsBodyIsRead() {
        GeneratedMessage message = new GeneratedMessage(bytes("To: b@example.org\r\n\r\n"), bytes("body\r\n"), FIFTY_MIB);

        assertThatThrownBy(() -> signer.sign(message, List.of(ED25519)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("From");
        assertThat(message.bodyBytesRead()).isLessThanOrEqualTo(64 * 1024);
    }

    /** The hash of the generated body fed to {@link RelaxedBodyHash} directly, in pieces of another size. */
    private static String expectedBodyHash(byte[] pattern, long length) {
        RelaxedBodyHash hash = new RelaxedBodyHash();
        byte[] piece = new byte[1000];
        long position = 0;
        while (position < length) {
            int n = (int) Math.min(piece.length, length - position);
            for (int i = 0; i < n; i++) {
                piece[i] = pattern[(int) ((position + i) % pattern.length)];
            }
            hash.update(piece, 0, n);
            position += n;
        }
        return Base64.getEncoder().encodeToString(hash.digest());
    }

    /** A header, then a body of {@code bodyLength} bytes that repeats a pattern, made as it is read. */
    private static final class GeneratedMessage extends InputStream {
        private final byte[] header;
        private final byte[] pattern;
        private final long length;
        private long position;
        private int largestRead;

        GeneratedMessage(byte[] header, byte[] pattern, long bodyLength) {
            this.header = header;
            this.pattern = pattern;
            this.length = header.length + bodyLength;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            largestRead = Math.max(largestRead, len);
            if (position == length) {
                return -1;
            }
            int n = (int) Math.min(len, length - position);
            for (int i = 0; i < n; i++) {
                long p = position + i;
                b[off + i] = p < header.length ? header[(int) p] : pattern[(int) ((p - header.length) % pattern.length)];
            }
            position += n;
            return n;
        }

        long bodyBytesRead() {
            return Math.max(0, position - header.length);
        }

        int largestRead() {
            return largestRead;
        }
    }

    /** An array read back in pieces of random sizes up to {@code maxPiece}, as a socket may give it. */
    private static final class PiecewiseStream extends InputStream {
        private final byte[] bytes;
        private final Random random;
        private final int maxPiece;
        private int position;

        PiecewiseStream(byte[] bytes, Random random, int maxPiece) {
            this.bytes = bytes;
            this.random = random;
            this.maxPiece = maxPiece;
        }

        @Override
        public int read() {
            return position < bytes.length ? bytes[position++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, bytes.length - position), 1 + random.nextInt(maxPiece));
            System.arraycopy(bytes, position, b, off, n);
            position += n;
            return n;
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }
}
