package org.dispatchmail.core.submission;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.Test;

class ResumableMd5Test {

    @Test
    void rfc1321TestSuite() {
        assertThat(hex(ResumableMd5.digest(ascii("")))).isEqualTo("d41d8cd98f00b204e9800998ecf8427e");
        assertThat(hex(ResumableMd5.digest(ascii("abc")))).isEqualTo("900150983cd24fb0d6963f7d28e17f72");
        assertThat(hex(ResumableMd5.digest(ascii("message digest")))).isEqualTo("f96b697d7cb7938d525a2f31aaf161d0");
        assertThat(hex(ResumableMd5.digest(ascii("12345678901234567890123456789012345678901234567890123456789012345678"
            + "901234567890")))).isEqualTo("57edf4a22be3c955ac49da2e2107b67a");
    }

    @Test
    void agreesWithTheJdkAcrossEveryPaddingCase() throws Exception {
        Random random = new Random(7);
        for (int length = 0; length <= 200; length++) {
            byte[] message = new byte[length];
            random.nextBytes(message);
            assertThat(ResumableMd5.digest(message)).as("length %d", length)
                .isEqualTo(MessageDigest.getInstance("MD5").digest(message));
        }
    }

    @Test
    void aHashResumedFromAStoredChainingValueEqualsTheWholeHash() throws Exception {
        byte[] message = new byte[64 + 37];
        new Random(3).nextBytes(message);
        byte[] afterFirstBlock = ResumableMd5.compress(ResumableMd5.initialState(), message, 0);

        byte[] resumed = ResumableMd5.finish(afterFirstBlock, 64, Arrays.copyOfRange(message, 64, message.length));

        assertThat(resumed).isEqualTo(MessageDigest.getInstance("MD5").digest(message));
    }

    static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
