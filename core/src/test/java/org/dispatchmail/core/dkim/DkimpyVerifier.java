package org.dispatchmail.core.dkim;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Verifies DKIM signatures with dkimpy (Debian's python3-dkim), an independent implementation, so that the tests do
 * not only check this code against itself. DNS answers come from the map given, not from the network. dkimpy is a
 * required test peer (.ci/run installs python3-dkim): without it the calling test fails and says how to install it.
 */
public final class DkimpyVerifier {

    /** Each DKIM-Signature field verified separately, in message order; "RESULT i pass|fail" lines for Java to read. */
    private static final String SCRIPT = String.join("\n",
            "import logging, sys",
            "import dkim",
            "message = open(sys.argv[1], 'rb').read()",
            "records = {}",
            "for line in open(sys.argv[2], encoding='utf-8').read().splitlines():",
            "    if line:",
            "        name, value = line.split('\\t', 1)",
            "        records[name.lower().rstrip('.')] = value.encode('utf-8')",
            "def dnsfunc(name, timeout=5):",
            "    answer = records.get(name.decode('ascii', 'replace').lower().rstrip('.'))",
            "    print('dns %s -> %s' % (name.decode('ascii', 'replace'), 'found' if answer else 'nothing'))",
            "    return answer",
            "logger = logging.getLogger('dkimpy')",
            "logger.addHandler(logging.StreamHandler(sys.stdout))",
            "logger.setLevel(logging.DEBUG)",
            "d = dkim.DKIM(message, logger=logger)",
            "count = sum(1 for name, value in d.headers if name.lower() == b'dkim-signature')",
            "print('signatures %d' % count)",
            "for i in range(count):",
            "    try:",
            "        ok = d.verify(idx=i, dnsfunc=dnsfunc)",
            "    except Exception as e:",
            "        print('exception %r' % e)",
            "        ok = False",
            "    print('RESULT %d %s' % (i, 'pass' if ok else 'fail'))",
            "");

    private static volatile String python;

    private DkimpyVerifier() {
    }

    /** What dkimpy said: one result per DKIM-Signature field, in message order, and its whole output. */
    public static final class Result {
        private final List<Boolean> signatureResults;
        private final String output;

        Result(List<Boolean> signatureResults, String output) {
            this.signatureResults = Collections.unmodifiableList(signatureResults);
            this.output = output;
        }

        /** Whether the message has at least one signature and every one of them verifies. */
        public boolean verified() {
            return !signatureResults.isEmpty() && !signatureResults.contains(false);
        }

        public List<Boolean> signatureResults() {
            return signatureResults;
        }

        /** dkimpy's output, to show when an assertion fails. */
        public String output() {
            return output;
        }

        @Override
        public String toString() {
            return signatureResults + "\n" + output;
        }
    }

    /**
     * Verifies every DKIM-Signature of {@code message}, answering TXT queries from {@code txtRecordsByName}
     * ("sel._domainkey.example.com" to the record's strings concatenated).
     */
    public static Result verify(byte[] message, Map<String, String> txtRecordsByName) {
        String output = run(SCRIPT, message, txtRecordsByName);
        List<Boolean> results = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                results.add(line.trim().endsWith(" pass"));
            }
        }
        return new Result(results, output);
    }

    private static String run(String script, byte[] message, Map<String, String> txtRecordsByName) {
        return run(script, message, txtRecordsByName, null, null, null, null, null);
    }

    /** Runs a script with the message file and a second file (the DNS records, or a key) and extra arguments. */
    private static String run(String script, byte[] message, Map<String, String> txtRecordsByName, String selector,
            String domain, String canonicalization, String length, String key) {
        String interpreter = python();
        Path messageFile = null;
        Path recordsFile = null;
        try {
            messageFile = Files.createTempFile("dkimpy-message", ".eml");
            recordsFile = Files.createTempFile("dkimpy-records", ".txt");
            Files.write(messageFile, message);
            StringBuilder records = new StringBuilder();
            txtRecordsByName.forEach((name, value) -> records.append(name).append('\t').append(value).append('\n'));
            Files.write(recordsFile, (key != null ? key : records.toString()).getBytes(StandardCharsets.UTF_8));
            List<String> command = new ArrayList<>(List.of(interpreter, "-c", script, messageFile.toString(),
                    recordsFile.toString()));
            if (selector != null) {
                command.addAll(List.of(selector, domain, canonicalization, length));
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("dkimpy did not finish within 60 s");
            }
            String output = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new AssertionError("dkimpy failed (exit " + process.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new AssertionError("could not run dkimpy: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while dkimpy ran", e);
        } finally {
            delete(messageFile);
            delete(recordsFile);
        }
    }

    /** dkimpy's arc_verify over the whole chain: "cv=pass|fail|none reason", keys answered from the map. */
    private static final String ARC_SCRIPT = String.join("\n",
            "import sys",
            "import dkim",
            "message = open(sys.argv[1], 'rb').read()",
            "records = {}",
            "for line in open(sys.argv[2], encoding='utf-8').read().splitlines():",
            "    if line:",
            "        name, value = line.split('\\t', 1)",
            "        records[name.lower().rstrip('.')] = value.encode('utf-8')",
            "def dnsfunc(name, timeout=5):",
            "    return records.get(name.decode('ascii', 'replace').lower().rstrip('.'))",
            "cv, results, reason = dkim.arc_verify(message, dnsfunc=dnsfunc)",
            "print('ARC cv=%s %s' % (cv.decode() if cv else 'ended', reason))",
            "");

    /**
     * Validates the ARC chain of {@code message} with dkimpy's arc_verify: returns its line "ARC cv=pass success",
     * "ARC cv=fail (why)", or "ARC cv=none ...", keys answered from {@code txtRecordsByName}.
     */
    public static String arcVerify(byte[] message, Map<String, String> txtRecordsByName) {
        String output = run(ARC_SCRIPT, message, txtRecordsByName);
        for (String line : output.split("\n")) {
            if (line.startsWith("ARC ")) {
                return line.trim();
            }
        }
        throw new AssertionError("dkimpy gave no ARC verdict:\n" + output);
    }

    /** dkimpy's own signer, for messages signed the ways Dispatch never signs (simple, l=). */
    private static final String SIGN_SCRIPT = String.join("\n",
            "import sys",
            "import dkim",
            "message = open(sys.argv[1], 'rb').read()",
            "key = open(sys.argv[2], 'rb').read()",
            "header, body = sys.argv[5].split('/')",
            "field = dkim.sign(message, sys.argv[3].encode(), sys.argv[4].encode(), key,",
            "                  canonicalize=(header.encode(), body.encode()), length=sys.argv[6] == 'l',",
            "                  include_headers=[b'from', b'to', b'subject'])",
            "sys.stdout.write('FIELD ' + field.decode().replace('\\r\\n', '\\\\r\\\\n') + '\\n')",
            "");

    /**
     * The DKIM-Signature field (ending with CRLF) that dkimpy writes for {@code message} with an RSA key given as a
     * PKCS#1 PEM, canonicalization "header/body", and l= when {@code withLength}.
     */
    public static String signWithDkimpy(byte[] message, String selector, String domain, String rsaPkcs1Pem,
            String canonicalization, boolean withLength) {
        String output = run(SIGN_SCRIPT, message, Map.of(), selector, domain, canonicalization, withLength ? "l" : "-",
                rsaPkcs1Pem);
        for (String line : output.split("\n")) {
            if (line.startsWith("FIELD ")) {
                return line.substring(6).replace("\\r\\n", "\r\n");
            }
        }
        throw new AssertionError("dkimpy did not sign:\n" + output);
    }

    /**
     * The first Python that has dkimpy: $DKIMPY_PYTHON, then Debian's /usr/bin/python3 (where apt installs it, even
     * when a pyenv python3 comes first on the PATH), then python3.
     */
    static String python() {
        String found = python;
        if (found != null) {
            return found;
        }
        List<String> candidates = new ArrayList<>();
        String configured = System.getenv("DKIMPY_PYTHON");
        if (configured != null && !configured.isBlank()) {
            candidates.add(configured);
        }
        candidates.add("/usr/bin/python3");
        candidates.add("python3");
        for (String candidate : candidates) {
            if (hasDkimpy(candidate)) {
                python = candidate;
                return candidate;
            }
        }
        return fail("dkimpy, the independent DKIM verifier these tests need, is not installed: run"
                + " 'apt-get install -y python3-dkim' (it brings python3-nacl for Ed25519; .ci/run installs it),"
                + " or point DKIMPY_PYTHON at a python3 that can 'import dkim, nacl'. Tried: " + candidates);
    }

    private static boolean hasDkimpy(String interpreter) {
        try {
            Process process = new ProcessBuilder(interpreter, "-c", "import dkim, nacl")
                    .redirectErrorStream(true)
                    .start();
            process.getInputStream().readAllBytes();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void delete(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a leftover temporary file does not change the verdict
            }
        }
    }
}
