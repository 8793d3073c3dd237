package org.dispatchmail.core.dkim;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * DKIM signing speed on one thread, so per core: whole messages of about 5 kB and 100 kB (body hash, canonicalization
 * and signature), and the bare signing primitive over a 32-byte input. Each case is warmed up for 3 s (after a first warm-up of the algorithm), then a fixed
 * number of signatures is timed three times and the median rate kept. Not a test; bench/dkim-bench.sh runs it and
 * sets it beside OpenSSL. Prints one "RESULT algorithm case signatures-per-second" line per measurement.
 *
 * <p>Arguments: an optional scale factor for the signature counts (default 1; 0.1 for a quick look).
 */
public final class DkimSignBenchmark {

    private static final long WARM_UP_NANOS = 3_000_000_000L;
    private static final int ROUNDS = 3;
    private static final byte[] DIGEST_SIZED = new byte[32];

    private DkimSignBenchmark() {
    }

    public static void main(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        System.out.printf(Locale.ROOT, "# java %s (%s), %d cores available, one thread measured%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors());
        byte[] small = message(5 * 1024);
        byte[] large = message(100 * 1024);
        System.out.printf(Locale.ROOT, "# messages: %d and %d bytes%n", small.length, large.length);
        DkimSigner signer = new DkimSigner(Clock.systemUTC());

        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            SigningKey key = new SigningKey("example.com", "bench",
                    DkimKeyGenerator.generate(algorithm).privateKey());
            List<SigningKey> keys = List.of(key);
            int count = (int) Math.max(10, scale * (algorithm == DkimAlgorithm.RSA_SHA256 ? 1_000 : 10_000));
            int largeCount = (int) Math.max(10, scale * (algorithm == DkimAlgorithm.RSA_SHA256 ? 1_000 : 5_000));
            // RSA's BigInteger code keeps getting faster for seconds: let the JIT finish before any case is timed
            measure(count / 10, () -> signer.sign(small, keys).get(0).length() + key.key().sign(DIGEST_SIZED).length);
            report(algorithm, "5kB", measure(count, () -> signer.sign(small, keys).get(0).length()));
            report(algorithm, "100kB", measure(largeCount, () -> signer.sign(large, keys).get(0).length()));
            report(algorithm, "raw", measure(count, () -> key.key().sign(DIGEST_SIZED).length));
        }
    }

    /** One signing operation; returns something derived from its result so that the JIT cannot drop it. */
    private interface Operation {
        int run();
    }

    /**
     * Warms up for a fixed time, then times {@code count} operations {@value #ROUNDS} times; returns the median rate
     * in operations per second, which a burst of other work on the machine disturbs least.
     */
    private static double measure(int count, Operation operation) {
        long sink = 0;
        long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
        while (System.nanoTime() < warmUpEnd) {
            sink += operation.run();
        }
        double[] rates = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                sink += operation.run();
            }
            rates[round] = count / ((System.nanoTime() - start) / 1e9);
        }
        if (sink == 42) {
            System.out.println("#"); // never true in practice; keeps the results alive
        }
        Arrays.sort(rates);
        return rates[ROUNDS / 2];
    }

    private static void report(DkimAlgorithm algorithm, String what, double perSecond) {
        System.out.printf(Locale.ROOT, "RESULT %s %s %.1f%n", algorithm.tag(), what, perSecond);
    }

    /**
     * A typical outbound message of about {@code size} bytes: the usual headers, a text part and, past a few kB, a
     * base64 attachment (what makes messages large).
     */
    static byte[] message(int size) {
        Random random = new Random(size);
        StringBuilder text = new StringBuilder(size + 1024);
        text.append("Received: from [192.0.2.10] (client.example.net [192.0.2.10])\r\n")
                .append("\tby mail.example.com (Dispatch) with ESMTPSA id 4F2A1B3C\r\n")
                .append("\tfor <bob@example.org>; Sat, 01 Jun 2024 12:00:00 +0000\r\n")
                .append("From: Alice Example <alice@example.com>\r\n")
                .append("To: Bob Example <bob@example.org>, Carol <carol@example.org>\r\n")
                .append("Cc: team@example.com\r\n")
                .append("Subject: Quarterly report and the figures you asked for\r\n")
                .append("Date: Sat, 01 Jun 2024 12:00:00 +0000\r\n")
                .append("Message-ID: <20240601120000.4F2A1B3C@mail.example.com>\r\n")
                .append("MIME-Version: 1.0\r\n")
                .append("Content-Type: multipart/mixed; boundary=\"=_boundary_1\"\r\n")
                .append("\r\n")
                .append("--=_boundary_1\r\n")
                .append("Content-Type: text/plain; charset=utf-8\r\n")
                .append("Content-Transfer-Encoding: 8bit\r\n")
                .append("\r\n");
        String[] words = {"the", "report", "figures", "quarter", "and", "we", "expect", "growth", "in", "sales",
            "team", "plan", "budget", "next", "meeting", "review", "numbers", "of", "to", "for"};
        int textSize = Math.min(size, 4 * 1024);
        while (text.length() < textSize) {
            StringBuilder line = new StringBuilder();
            while (line.length() < 70) {
                line.append(words[random.nextInt(words.length)]).append(' ');
            }
            text.append(line).append("\r\n");
        }
        if (text.length() < size) {
            text.append("\r\n--=_boundary_1\r\n")
                    .append("Content-Type: application/pdf; name=\"report.pdf\"\r\n")
                    .append("Content-Transfer-Encoding: base64\r\n")
                    .append("Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n");
            // base64 turns 3 bytes into 4 characters, and each 76 characters take a CRLF
            byte[] attachment = new byte[(int) ((size - text.length() - 20) * 3L * 76 / (4L * 78))];
            random.nextBytes(attachment);
            text.append(Base64.getMimeEncoder().encodeToString(attachment)).append("\r\n");
        }
        text.append("--=_boundary_1--\r\n");
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }
}
