package org.dispatchmail.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An independent DKIM verifier: dkimpy (Debian's python3-dkim) checks every DKIM-Signature of a
 * message, fetching the keys from a real DNS server (the test's dnsmasq) with dnspython.
 */
public final class DnsDkimVerifier {
    /** Debian's interpreter: its python3-dkim is not visible to other pythons on the PATH. */
    private static final String PYTHON = "/usr/bin/python3";
    private static final String SCRIPT = String.join("\n",
        "import sys, dkim, dns.resolver",
        "resolver = dns.resolver.Resolver(configure=False)",
        "resolver.nameservers = [sys.argv[1]]",
        "resolver.port = int(sys.argv[2])",
        "def txt(name, timeout=5):",
        "    name = name.decode() if isinstance(name, bytes) else name",
        "    try:",
        "        answer = resolver.resolve(name.rstrip('.'), 'TXT', lifetime=timeout)",
        "    except Exception:",
        "        return None",
        "    return b''.join(answer[0].strings)",
        "message = sys.stdin.buffer.read()",
        "count = sum(1 for line in message.split(b'\\r\\n') if line.lower().startswith(b'dkim-signature:'))",
        "verifier = dkim.DKIM(message)",
        "for i in range(count):",
        "    try:",
        "        ok, why = verifier.verify(idx=i, dnsfunc=txt), ''",
        "    except Exception as e:",
        "        ok, why = False, ' (' + str(e) + ')'",
        "    print(('pass ' if ok else 'fail ') + verifier.domain.decode() + ' ' + verifier.selector.decode()",
        "          + ' ' + verifier.signature_fields.get(b'a', b'').decode() + why)",
        "");

    /** dkimpy's arc_verify over the whole ARC chain, with the same DNS. */
    private static final String ARC_SCRIPT = String.join("\n",
        "import sys, dkim, dns.resolver",
        "resolver = dns.resolver.Resolver(configure=False)",
        "resolver.nameservers = [sys.argv[1]]",
        "resolver.port = int(sys.argv[2])",
        "def txt(name, timeout=5):",
        "    name = name.decode() if isinstance(name, bytes) else name",
        "    try:",
        "        answer = resolver.resolve(name.rstrip('.'), 'TXT', lifetime=timeout)",
        "    except Exception:",
        "        return None",
        "    return b''.join(answer[0].strings)",
        "cv, results, reason = dkim.arc_verify(sys.stdin.buffer.read(), dnsfunc=txt)",
        "print('cv=%s %s' % (cv.decode() if cv else 'ended', reason))",
        "");

    private DnsDkimVerifier() {
    }

    /** dkimpy's verdict on the message's ARC chain: "cv=pass success", "cv=fail (why)" or "cv=none ...". */
    public static String arcVerify(byte[] message, String dnsAddress, int dnsPort) throws IOException, InterruptedException {
        List<String> lines = run(ARC_SCRIPT, message, dnsAddress, dnsPort);
        // dkimpy's own log lines, if any, come before the verdict
        return lines.stream().filter(line -> line.startsWith("cv=")).findFirst()
            .orElseThrow(() -> new IllegalStateException("dkimpy gave no ARC verdict: " + lines));
    }

    /** One line per signature: "pass|fail DOMAIN SELECTOR ALGORITHM [(why it failed)]". */
    public static List<String> verify(byte[] message, String dnsAddress, int dnsPort) throws IOException, InterruptedException {
        return run(SCRIPT, message, dnsAddress, dnsPort);
    }

    private static List<String> run(String scriptText, byte[] message, String dnsAddress, int dnsPort)
        throws IOException, InterruptedException {
        if (!Files.isExecutable(Path.of(PYTHON))) {
            throw new IllegalStateException(PYTHON + " is missing: install Debian's python3-dkim (.ci/run does)");
        }
        Path script = Files.createTempFile("dkim-verify-", ".py");
        Files.writeString(script, scriptText);
        Process process = new ProcessBuilder(PYTHON, script.toString(), dnsAddress, String.valueOf(dnsPort))
            .redirectErrorStream(true).start();
        process.getOutputStream().write(message);
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("dkimpy failed: " + output);
        }
        Files.deleteIfExists(script);
        List<String> lines = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (!line.isBlank()) {
                lines.add(line.trim());
            }
        }
        return lines;
    }

    /** The message as received by smtp-sink: its own X- lines dropped, line ends back to CRLF. */
    public static byte[] fromSinkDump(String dump) {
        StringBuilder message = new StringBuilder();
        boolean inPreamble = true;
        for (String line : dump.split("\n", -1)) {
            if (inPreamble && line.matches("X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|Rcpt-Args): .*")) {
                continue;
            }
            inPreamble = false;
            message.append(line).append("\r\n");
        }
        // split() gave a last empty piece for the final newline
        message.setLength(message.length() - 2);
        return message.toString().getBytes(StandardCharsets.UTF_8);
    }
}
