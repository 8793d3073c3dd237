package org.dispatchmail.core.submission;

import java.util.Arrays;

/**
 * The stored form of a CRAM-MD5 secret: HMAC-MD5 (RFC 2104) run as far as it can go without the challenge, that is
 * the MD5 chaining values after the (key XOR opad) block and after the (key XOR ipad) block. 32 bytes, outer state
 * first, as Dovecot's CRAM-MD5 scheme stores them. It lets the server answer any challenge without the password,
 * though it is password-equivalent for CRAM-MD5 itself (that is the nature of the mechanism).
 */
final class CramMd5Context {
    static final int BYTES = 2 * ResumableMd5.STATE_BYTES;
    private static final byte INNER_PAD = 0x36;
    private static final byte OUTER_PAD = 0x5c;

    private CramMd5Context() {
    }

    static byte[] fromKey(byte[] key) {
        byte[] block = new byte[ResumableMd5.BLOCK_BYTES];
        byte[] shortKey = key.length > ResumableMd5.BLOCK_BYTES ? ResumableMd5.digest(key) : key;
        System.arraycopy(shortKey, 0, block, 0, shortKey.length);
        byte[] inner = ResumableMd5.compress(ResumableMd5.initialState(), xor(block, INNER_PAD), 0);
        byte[] outer = ResumableMd5.compress(ResumableMd5.initialState(), xor(block, OUTER_PAD), 0);
        Arrays.fill(block, (byte) 0);
        byte[] context = new byte[BYTES];
        System.arraycopy(outer, 0, context, 0, ResumableMd5.STATE_BYTES);
        System.arraycopy(inner, 0, context, ResumableMd5.STATE_BYTES, ResumableMd5.STATE_BYTES);
        return context;
    }

    /** HMAC-MD5(key, challenge), resumed from the stored context. */
    static byte[] hmac(byte[] context, byte[] challenge) {
        byte[] outer = Arrays.copyOfRange(context, 0, ResumableMd5.STATE_BYTES);
        byte[] inner = Arrays.copyOfRange(context, ResumableMd5.STATE_BYTES, BYTES);
        byte[] innerDigest = ResumableMd5.finish(inner, ResumableMd5.BLOCK_BYTES, challenge);
        return ResumableMd5.finish(outer, ResumableMd5.BLOCK_BYTES, innerDigest);
    }

    private static byte[] xor(byte[] block, byte pad) {
        byte[] out = new byte[block.length];
        for (int i = 0; i < block.length; i++) {
            out[i] = (byte) (block[i] ^ pad);
        }
        return out;
    }
}
