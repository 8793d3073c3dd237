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
        String interpreter = python();
        Path messageFile = null;
        Path recordsFile = null;
        try {
            messageFile = Files.createTempFile("dkimpy-message", ".eml");
            recordsFile = Files.createTempFile("dkimpy-records", ".txt");
            Files.write(messageFile, message);
            StringBuilder records = new StringBuilder();
            txtRecordsByName.forEach((name, value) -> records.append(name).append('\t').append(value).append('\n'));
            Files.write(recordsFile, records.toString().getBytes(StandardCharsets.UTF_8));
            Process process = new ProcessBuilder(interpreter, "-c", SCRIPT, messageFile.toString(), recordsFile.toString())
                    .redirectErrorStream(true)
                    .start();
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
            List<Boolean> results = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (line.startsWith("RESULT ")) {
                    results.add(line.trim().endsWith(" pass"));
                }
            }
            return new Result(results, output);
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
