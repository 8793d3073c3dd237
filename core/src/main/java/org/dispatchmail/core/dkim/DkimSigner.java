package org.dispatchmail.core.dkim;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Signs messages with DKIM (RFC 6376), relaxed/relaxed, with one or more keys. Thread-safe: it holds only its clock.
 *
 * <p>A message is signed as it is read, from a stream or an array alike: its header block is kept (at most 1 MiB,
 * brought to CRLF line endings) to choose and canonicalize the signed fields, while its body goes through a
 * {@link RelaxedBodyHash} 64 KiB at a time and is never held whole, so a message of any size is signed in small,
 * fixed memory.
 */
public final class DkimSigner {

    /** Headers signed when present (and over-signed: each name listed once more than it occurs, so none can be added later). */
    public static final List<String> SIGNED_HEADERS = List.of("From", "To", "Cc", "Subject", "Date", "Message-ID",
            "Reply-To", "In-Reply-To", "References", "MIME-Version", "Content-Type");

    static final String FIELD_NAME = "DKIM-Signature";

    private final Clock clock;

    public DkimSigner(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Signs the message (RFC 5322 bytes, CRLF line endings as they will go on the wire; a bare LF counts as CRLF) with
     * each key, relaxed/relaxed, no l=, t= the clock's epoch seconds, From always signed, the other
     * {@link #SIGNED_HEADERS} when present, every signed name over-signed once. Returns the complete header fields to
     * prepend, one per key, in key order, each folded at 78 columns and ending with CRLF. The body hash is computed
     * once for all keys.
     *
     * <p>The same as {@link #sign(InputStream, List)} over the array.
     *
     * @throws IllegalArgumentException when the message has no From: header field, or its header block is longer
     *         than 1 MiB
     */
    public List<String> sign(byte[] message, List<SigningKey> keys) {
        return sign(message, keys, SignatureOptions.STANDARD);
    }

    List<String> sign(byte[] message, List<SigningKey> keys, SignatureOptions options) {
        Objects.requireNonNull(message, "message");
        try {
            return sign(new ByteArrayInputStream(message), keys, options);
        } catch (IOException e) {
            throw new UncheckedIOException("an array cannot fail to be read", e);
        }
    }

    /**
     * Signs the message read from {@code message} to its end, as {@link #sign(byte[], List)} does, without holding
     * its body in memory: the header block (up to and including the empty line that ends it, or the whole message
     * when it has none) is read and kept, at most 1 MiB of it; the body is hashed as it is read, 64 KiB at a time,
     * whatever its size or the length of its lines. The stream is not closed. When the header block is refused, the
     * body is left unread.
     *
     * @throws IOException when reading the stream fails
     * @throws IllegalArgumentException when the message has no From: header field, or its header block is longer
     *         than 1 MiB
     */
    public List<String> sign(InputStream message, List<SigningKey> keys) throws IOException {
        return sign(message, keys, SignatureOptions.STANDARD);
    }

    List<String> sign(InputStream message, List<SigningKey> keys, SignatureOptions options) throws IOException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(keys, "keys");
        MessageStream stream = MessageStream.readHeader(message);
        MessageParts parts = MessageParts.split(stream.header());
        if (parts.count("From") == 0) {
            throw new IllegalArgumentException("the message has no From: header field, which DKIM must sign");
        }
        List<String> names = options.headerNames() != null
                ? options.headerNames()
                : HeaderSelection.overSigned(parts, SIGNED_HEADERS);
        byte[] signedHeaders = canonicalHeaders(HeaderSelection.select(parts.headers(), names));
        RelaxedBodyHash body = new RelaxedBodyHash();
        stream.readBody(body);
        String bodyHash = Base64.getEncoder().encodeToString(body.digest());
        long timestamp = clock.instant().getEpochSecond();

        List<String> fields = new ArrayList<>(keys.size());
        for (SigningKey key : keys) {
            fields.add(signatureField(Objects.requireNonNull(key, "key"), names, options, timestamp, bodyHash, signedHeaders));
        }
        return fields;
    }

    /** The message with the given header fields prepended (a convenience for callers and tests). */
    public static byte[] prepend(List<String> headerFields, byte[] message) {
        StringBuilder fields = new StringBuilder();
        for (String field : headerFields) {
            fields.append(field);
        }
        byte[] head = fields.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[head.length + message.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(message, 0, out, head.length, message.length);
        return out;
    }

    private static String signatureField(SigningKey key, List<String> names, SignatureOptions options, long timestamp,
            String bodyHash, byte[] signedHeaders) {
        FoldingWriter writer = new FoldingWriter(FIELD_NAME);
        writer.word("v=1;");
        writer.word("a=" + key.key().algorithm().tag() + ";");
        writer.word("c=relaxed/relaxed;");
        writer.word("d=" + key.domain() + ";");
        for (String[] tag : options.tagsAfterDomain()) {
            writer.word(tag[0] + "=" + tag[1] + ";");
        }
        writer.word("s=" + key.selector() + ";");
        writer.word("t=" + timestamp + ";");
        writeHeaderList(writer, names, options.headerSeparator());
        writer.word("bh=" + bodyHash + ";");
        return signedField(writer, signedHeaders, key);
    }

    /** Writes h=name:name:...; folding between names where needed. */
    static void writeHeaderList(FoldingWriter writer, List<String> names, String separator) {
        for (int i = 0; i < names.size(); i++) {
            String piece = names.get(i) + (i == names.size() - 1 ? ";" : separator);
            if (i == 0) {
                writer.word("h=" + piece);
            } else {
                writer.piece(piece);
            }
        }
    }

    /**
     * Ends the field with b= and the signature of {@code signedHeaders} followed by the field itself, as it will
     * appear but with an empty b= and no CRLF, relaxed (RFC 6376 §3.7; RFC 8617 signs its fields the same way).
     * Returns the field with its final CRLF.
     */
    static String signedField(FoldingWriter writer, byte[] signedHeaders, SigningKey key) {
        writer.word("b=");
        String unsigned = writer.text();
        byte[] ownField = RelaxedCanonicalization.header(unsigned).getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = new byte[signedHeaders.length + ownField.length];
        System.arraycopy(signedHeaders, 0, data, 0, signedHeaders.length);
        System.arraycopy(ownField, 0, data, signedHeaders.length, ownField.length);
        writer.breakable(Base64.getEncoder().encodeToString(key.key().sign(data)));
        return writer.text() + "\r\n";
    }

    /** Each field relaxed and followed by CRLF, in the given order. */
    static byte[] canonicalHeaders(List<HeaderField> fields) {
        StringBuilder out = new StringBuilder();
        for (HeaderField field : fields) {
            out.append(RelaxedCanonicalization.header(field.text())).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
}
