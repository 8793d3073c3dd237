import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The submission load of bench/relay-bench.sh, the same for every system: S threads, each with one
 * long SMTP session (optionally STARTTLS + AUTH PLAIN), sending COUNT messages of SIZE bytes with one
 * recipient and a unique Message-ID each (TAG.N@bench.test), one command at a time (no pipelining).
 *
 * Run with: java bench/RelayClient.java --port P --count N --sessions S --sender A --domains D1,D2 --tag T
 *           [--host H] [--size BYTES] [--starttls --user U --password P]
 *           [--warm W --warm-tag T2 --go-file F]
 *
 * With --warm, the same sessions first send W messages tagged T2 (the server's and the client's own
 * warm-up), print a line starting "warm", and wait until the file F exists before the measured N.
 * Prints a line starting "run" for the N: t0 (all sessions ready, first MAIL FROM), submitted (last
 * reply), intake latency p50/p99 (final dot of DATA to the server's reply) and the client's own CPU
 * seconds between the two. Exits 1 if any message was refused or a session failed.
 */
public final class RelayClient {

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        List<Session> sessions = new ArrayList<>();
        // logins one after another: Dispatch caps concurrent AUTH per client address
        for (int i = 0; i < options.sessions; i++) {
            Session session = new Session(options);
            session.open();
            sessions.add(session);
        }
        boolean failed = false;
        if (options.warm > 0) {
            Load warm = new Load(options, sessions, options.warm, options.warmTag);
            warm.run();
            System.out.println("warm " + warm.summary());
            System.out.flush();
            failed = !warm.errors.isEmpty();
            awaitFile(Path.of(options.goFile));
        }
        Load load = new Load(options, sessions, options.count, options.tag);
        load.run();
        System.out.println("run " + load.summary());
        for (Session session : sessions) {
            session.close();
        }
        System.exit(failed || !load.errors.isEmpty() ? 1 : 0);
    }

    /** The script creates the file once it has checked the warm-up at the sink and read the CPU counters. */
    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + 1_800_000_000_000L;
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + file + " after 30 minutes");
            }
            Thread.sleep(20);
        }
    }

    /** Runs the sessions in parallel over one shared message counter and collects the results. */
    static final class Load {
        private final Options options;
        private final List<Session> sessions;
        private final int count;
        private final String tag;
        private final AtomicInteger next = new AtomicInteger();
        private final long[] latencyNanos;
        private final List<String> errors = new ArrayList<>();
        private volatile long startMillis;
        private volatile long startCpuNanos;
        private long endMillis;
        private long endCpuNanos;

        Load(Options options, List<Session> sessions, int count, String tag) {
            this.options = options;
            this.sessions = sessions;
            this.count = count;
            this.tag = tag;
            this.latencyNanos = new long[count];
            Arrays.fill(latencyNanos, -1);
        }

        void run() throws InterruptedException {
            CyclicBarrier barrier = new CyclicBarrier(sessions.size(), () -> {
                startMillis = System.currentTimeMillis();
                startCpuNanos = processCpuNanos();
            });
            List<Thread> threads = new ArrayList<>();
            for (Session session : sessions) {
                Thread thread = new Thread(() -> work(session, barrier));
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            endMillis = System.currentTimeMillis();
            endCpuNanos = processCpuNanos();
        }

        private void work(Session session, CyclicBarrier barrier) {
            try {
                barrier.await();
            } catch (Exception e) {
                error("barrier: " + e);
                return;
            }
            for (int n = next.getAndIncrement(); n < count; n = next.getAndIncrement()) {
                String recipient = "r" + n + "@" + options.domains[n % options.domains.length];
                byte[] message = Message.bytes(options, tag, n, recipient);
                try {
                    latencyNanos[n] = session.send(recipient, message);
                } catch (SmtpRefused e) {
                    error("message " + n + ": " + e.getMessage());
                    if (!session.reset()) {
                        return;
                    }
                } catch (IOException e) {
                    error("message " + n + ": " + e);
                    return;   // the session is gone; its share goes to the others
                }
            }
        }

        private synchronized void error(String text) {
            errors.add(text);
            if (errors.size() <= 5) {
                System.err.println("client error: " + text);
            }
        }

        String summary() {
            long[] done = Arrays.stream(latencyNanos).filter(value -> value >= 0).sorted().toArray();
            return String.format(java.util.Locale.ROOT,
                    "t0=%.3f submitted=%.3f messages=%d accepted=%d errors=%d intake_p50_ms=%.1f"
                            + " intake_p99_ms=%.1f client_cpu_s=%.3f",
                    startMillis / 1000.0, endMillis / 1000.0, count, done.length, errors.size(),
                    percentileMillis(done, 50), percentileMillis(done, 99),
                    (endCpuNanos - startCpuNanos) / 1e9);
        }

        /** Nearest rank, as the Python helpers do. */
        private static double percentileMillis(long[] sorted, int p) {
            if (sorted.length == 0) {
                return 0;
            }
            int rank = Math.max(1, (int) Math.ceil(p * sorted.length / 100.0));
            return sorted[rank - 1] / 1e6;
        }

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getProcessCpuTime();
        }
    }

    /** A message of about SIZE bytes whose lines never start with a dot (no dot-stuffing needed). */
    static final class Message {
        private static final String FILLER =
                "The quick brown fox jumps over the lazy dog; relay benchmark filler text, line %04d.\r\n";
        private static final String[] LINES = new String[1000];

        static {
            for (int line = 0; line < LINES.length; line++) {
                LINES[line] = String.format(java.util.Locale.ROOT, FILLER, line);
            }
        }

        static byte[] bytes(Options options, String tag, int n, String recipient) {
            String messageId = "<" + tag + "." + n + "@bench.test>";
            StringBuilder text = new StringBuilder(options.size + 200);
            text.append("From: Bench <").append(options.sender).append(">\r\n")
                    .append("To: <").append(recipient).append(">\r\n")
                    .append("Subject: relay benchmark ").append(messageId).append("\r\n")
                    .append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()))
                    .append("\r\n")
                    .append("Message-ID: ").append(messageId).append("\r\n")
                    .append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n");
            String end = "end of message " + messageId + "\r\n";
            for (int line = 0; text.length() + end.length() < options.size; line++) {
                text.append(LINES[line % LINES.length]);
            }
            text.append(end);
            return text.toString().getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** A reply the client did not expect; the session is still usable after RSET. */
    static final class SmtpRefused extends Exception {
        SmtpRefused(String command, String reply) {
            super(command + " -> " + reply);
        }
    }

    /** One SMTP session, one command at a time. */
    static final class Session {
        private final Options options;
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Session(Options options) {
            this.options = options;
        }

        void open() throws IOException, SmtpRefused {
            Socket plain = new Socket();
            plain.setTcpNoDelay(true);
            plain.connect(new InetSocketAddress(options.host, options.port), 30_000);
            plain.setSoTimeout(300_000);
            use(plain);
            expect(null, 220);
            expect("EHLO client.bench.test", 250);
            if (options.starttls) {
                expect("STARTTLS", 220);
                SSLSocket tls = (SSLSocket) trustingContext().getSocketFactory()
                        .createSocket(plain, options.host, options.port, true);
                tls.startHandshake();
                use(tls);
                expect("EHLO client.bench.test", 250);
            }
            if (options.user != null) {
                String token = Base64.getEncoder().encodeToString(
                        ("\0" + options.user + "\0" + options.password).getBytes(StandardCharsets.UTF_8));
                expect("AUTH PLAIN " + token, 235);
            }
        }

        /** One transaction; returns nanoseconds from the final dot of DATA handed to the socket to the reply. */
        long send(String recipient, byte[] message) throws IOException, SmtpRefused {
            expect("MAIL FROM:<" + options.sender + ">", 250);
            expect("RCPT TO:<" + recipient + ">", 250, 251);
            expect("DATA", 354);
            out.write(message);
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            expect(null, 250);
            return System.nanoTime() - start;
        }

        boolean reset() {
            try {
                expect("RSET", 250);
                return true;
            } catch (Exception e) {
                return false;
            }
        }

        void close() {
            try {
                expect("QUIT", 221);
                socket.close();
            } catch (Exception ignored) {
                // the messages are all answered; a failed goodbye changes nothing
            }
        }

        private void use(Socket s) throws IOException {
            socket = s;
            in = new BufferedInputStream(s.getInputStream());
            out = new BufferedOutputStream(s.getOutputStream(), 16 * 1024);
        }

        private void expect(String command, int... codes) throws IOException, SmtpRefused {
            if (command != null) {
                out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            String reply = readReply();
            int code = Integer.parseInt(reply.substring(0, 3));
            for (int expected : codes) {
                if (code == expected) {
                    return;
                }
            }
            throw new SmtpRefused(command == null ? "(reply)" : command.split(" ")[0], reply);
        }

        /** A whole reply, continuation lines included; returns its last line. */
        private String readReply() throws IOException {
            while (true) {
                String line = readLine();
                if (line.length() < 3) {
                    throw new IOException("malformed reply: " + line);
                }
                if (line.length() == 3 || line.charAt(3) != '-') {
                    return line;
                }
            }
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("connection closed by the server");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }

        /** The benchmark's servers use self-signed certificates: encryption is measured, not trust. */
        private static SSLContext trustingContext() throws IOException {
            try {
                TrustManager trustAll = new X509TrustManager() {
                    @Override
                    public void checkClientTrusted(X509Certificate[] chain, String authType) {
                    }

                    @Override
                    public void checkServerTrusted(X509Certificate[] chain, String authType) {
                    }

                    @Override
                    public X509Certificate[] getAcceptedIssuers() {
                        return new X509Certificate[0];
                    }
                };
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
                return context;
            } catch (java.security.GeneralSecurityException e) {
                throw new IOException(e);
            }
        }
    }

    static final class Options {
        String host = "127.0.0.1";
        int port;
        int sessions = 8;
        int count;
        int size = 5120;
        String sender;
        String[] domains;
        String tag;
        boolean starttls;
        String user;
        String password;
        int warm;
        String warmTag;
        String goFile;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (name.equals("--starttls")) {
                    o.starttls = true;
                    continue;
                }
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                String value = args[++i];
                switch (name) {
                    case "--host": o.host = value; break;
                    case "--port": o.port = Integer.parseInt(value); break;
                    case "--sessions": o.sessions = Integer.parseInt(value); break;
                    case "--count": o.count = Integer.parseInt(value); break;
                    case "--size": o.size = Integer.parseInt(value); break;
                    case "--sender": o.sender = value; break;
                    case "--domains": o.domains = value.split(","); break;
                    case "--tag": o.tag = value; break;
                    case "--user": o.user = value; break;
                    case "--password": o.password = value; break;
                    case "--warm": o.warm = Integer.parseInt(value); break;
                    case "--warm-tag": o.warmTag = value; break;
                    case "--go-file": o.goFile = value; break;
                    default: throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (o.port == 0 || o.sender == null || o.domains == null || o.tag == null) {
                throw new IllegalArgumentException("--port, --sender, --domains and --tag are required");
            }
            if (o.warm > 0 && (o.warmTag == null || o.goFile == null)) {
                throw new IllegalArgumentException("--warm needs --warm-tag and --go-file");
            }
            return o;
        }
    }
}
