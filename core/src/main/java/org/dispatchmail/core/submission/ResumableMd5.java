package org.dispatchmail.core.submission;

/**
 * MD5 (RFC 1321) opened up to its compression function, so that a hash can be resumed from a stored chaining
 * value. CRAM-MD5 needs this: only the HMAC-MD5 state after the key blocks is stored, never the password.
 *
 * <p>A chaining value is 16 bytes: the words A, B, C, D little-endian, the way MD5 writes its digest (and Dovecot
 * writes its CRAM-MD5 context). Not for general hashing: {@code MessageDigest} does that faster.
 */
final class ResumableMd5 {
    static final int BLOCK_BYTES = 64;
    static final int STATE_BYTES = 16;

    /** Per-step left rotations, four per round (RFC 1321 section 3.4). */
    private static final int[] SHIFTS = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    /** T[i] = floor(2^32 * |sin(i + 1)|); StrictMath so the table is the same on every JVM. */
    private static final int[] SINES = new int[64];

    static {
        for (int i = 0; i < SINES.length; i++) {
            SINES[i] = (int) (long) Math.floor(Math.abs(StrictMath.sin(i + 1)) * 4294967296.0);
        }
    }

    private ResumableMd5() {
    }

    static byte[] initialState() {
        return toBytes(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476);
    }

    /** One 64-byte block into the chaining value {@code state}; returns the next chaining value. */
    static byte[] compress(byte[] state, byte[] block, int offset) {
        int a0 = wordAt(state, 0);
        int b0 = wordAt(state, 4);
        int c0 = wordAt(state, 8);
        int d0 = wordAt(state, 12);
        int[] x = new int[16];
        for (int j = 0; j < 16; j++) {
            x[j] = wordAt(block, offset + 4 * j);
        }
        int a = a0;
        int b = b0;
        int c = c0;
        int d = d0;
        for (int i = 0; i < 64; i++) {
            int round = i >>> 4;
            int f;
            int k;
            if (round == 0) {
                f = (b & c) | (~b & d);
                k = i;
            } else if (round == 1) {
                f = (b & d) | (c & ~d);
                k = (5 * i + 1) & 15;
            } else if (round == 2) {
                f = b ^ c ^ d;
                k = (3 * i + 5) & 15;
            } else {
                f = c ^ (b | ~d);
                k = (7 * i) & 15;
            }
            int sum = b + Integer.rotateLeft(a + f + x[k] + SINES[i], SHIFTS[round * 4 + (i & 3)]);
            a = d;
            d = c;
            c = b;
            b = sum;
        }
        return toBytes(a0 + a, b0 + b, c0 + c, d0 + d);
    }

    /**
     * Finishes a hash whose first {@code bytesDone} bytes (a whole number of blocks) are already in {@code state}:
     * hashes {@code rest}, pads, appends the total length in bits, and returns the digest.
     */
    static byte[] finish(byte[] state, long bytesDone, byte[] rest) {
        int padded = ((rest.length + 8) / BLOCK_BYTES + 1) * BLOCK_BYTES;
        byte[] tail = new byte[padded];
        System.arraycopy(rest, 0, tail, 0, rest.length);
        tail[rest.length] = (byte) 0x80;
        long bits = (bytesDone + rest.length) * 8;
        for (int i = 0; i < 8; i++) {
            tail[padded - 8 + i] = (byte) (bits >>> (8 * i));
        }
        byte[] current = state;
        for (int offset = 0; offset < padded; offset += BLOCK_BYTES) {
            current = compress(current, tail, offset);
        }
        return current;
    }

    static byte[] digest(byte[] message) {
        return finish(initialState(), 0, message);
    }

    private static int wordAt(byte[] bytes, int offset) {
        return (bytes[offset] & 0xff) | (bytes[offset + 1] & 0xff) << 8 | (bytes[offset + 2] & 0xff) << 16
            | (bytes[offset + 3] & 0xff) << 24;
    }

    private static byte[] toBytes(int a, int b, int c, int d) {
        byte[] out = new byte[STATE_BYTES];
        int[] words = {a, b, c, d};
        for (int w = 0; w < 4; w++) {
            for (int i = 0; i < 4; i++) {
                out[4 * w + i] = (byte) (words[w] >>> (8 * i));
            }
        }
        return out;
    }
}
