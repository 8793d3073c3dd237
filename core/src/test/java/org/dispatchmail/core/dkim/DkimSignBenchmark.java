package org.dispatchmail.core.dkim;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.dispatchmail.core.crypto.CryptoProvider;
import org.dispatchmail.core.crypto.CryptoProviders;
import org.dispatchmail.core.crypto.ProviderDecision;

/**
 * DKIM signing speed on one thread, so per core: whole messages of about 5 kB and 100 kB (body hash, canonicalization
 * and signature), and the bare signing primitive over a 32-byte input. Each case is warmed up for 3 s (after a first warm-up of the algorithm), then a fixed
 * number of signatures is timed three times and the median rate kept. Not a test; bench/dkim-bench.sh runs it and
 * sets it beside OpenSSL. Prints one "RESULT algorithm case per-wall-second per-CPU-second" line per measurement.
 *
 * <p>Arguments: an optional scale factor for the signature counts (default 1; 0.1 for a quick look), then the JCA
 * provider: {@code jdk} (default) or {@code native}, registered as a node does at start (crypto.provider); a run
 * measures one provider, since registration changes the whole JVM.
 */
public final class DkimSignBenchmark {

    private static final long WARM_UP_NANOS = 3_000_000_000L;
    private static final int ROUNDS = 3;
    private static final byte[] DIGEST_SIZED = new byte[32];

    private DkimSignBenchmark() {
    }

    public static void main(String[] args) {
        double scale = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
        CryptoProvider provider = args.length > 1 ? CryptoProvider.valueOf(args[1].toUpperCase(Locale.ROOT))
                : CryptoProvider.JDK;
        ProviderDecision decision = CryptoProviders.register(provider);
        if (decision.fellBack()) {
            throw new IllegalStateException(decision.logLine());
        }
        System.out.printf(Locale.ROOT, "# java %s (%s), %d cores available, one thread measured%n",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors());
        byte[] small = message(5 * 1024);
        byte[] large = message(100 * 1024);
        System.out.printf(Locale.ROOT, "# messages: %d and %d bytes%n", small.length, large.length);
        System.out.printf(Locale.ROOT, "# provider: %s (RSA signatures by %s)%n", provider.name().toLowerCase(Locale.ROOT),
                rsaSignatureProvider());
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

    /** The provider an RSA signature with a key read as RsaKeyMaterial reads it comes from, as proof of the setting. */
    private static String rsaSignatureProvider() {
        try {
            KeyPair pair = KeyPairGenerator.getInstance("RSA").generateKeyPair();
            PrivateKey key = KeyFactory.getInstance("RSA")
                    .generatePrivate(new PKCS8EncodedKeySpec(pair.getPrivate().getEncoded()));
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            return signature.getProvider().getName();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One signing operation; returns something derived from its result so that the JIT cannot drop it. */
    private interface Operation {
        int run();
    }

    /** Operations per second of one measurement: per second of wall-clock time and per second of the thread's CPU time. */
    private static final class Rate {
        final double wall;
        final double cpu;

        Rate(double wall, double cpu) {
            this.wall = wall;
            this.cpu = cpu;
        }
    }

    /**
     * Warms up for a fixed time, then times {@code count} operations {@value #ROUNDS} times; returns the median rates
     * in operations per second, which a burst of other work on the machine disturbs least. The CPU-time rate is what
     * {@code openssl speed} reports by default (it divides by its user CPU time), so it compares with it even while
     * other work shares the cores; the wall-clock rate compares with {@code openssl speed -elapsed}.
     */
    private static Rate measure(int count, Operation operation) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long sink = 0;
        long warmUpEnd = System.nanoTime() + WARM_UP_NANOS;
        while (System.nanoTime() < warmUpEnd) {
            sink += operation.run();
        }
        double[] wallRates = new double[ROUNDS];
        double[] cpuRates = new double[ROUNDS];
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            long cpuStart = threads.getCurrentThreadCpuTime();
            for (int i = 0; i < count; i++) {
                sink += operation.run();
            }
            cpuRates[round] = count / ((threads.getCurrentThreadCpuTime() - cpuStart) / 1e9);
            wallRates[round] = count / ((System.nanoTime() - start) / 1e9);
        }
        if (sink == 42) {
            System.out.println("#"); // never true in practice; keeps the results alive
        }
        Arrays.sort(wallRates);
        Arrays.sort(cpuRates);
        return new Rate(wallRates[ROUNDS / 2], cpuRates[ROUNDS / 2]);
    }

    private static void report(DkimAlgorithm algorithm, String what, Rate rate) {
        System.out.printf(Locale.ROOT, "RESULT %s %s %.1f %.1f%n", algorithm.tag(), what, rate.wall, rate.cpu);
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
